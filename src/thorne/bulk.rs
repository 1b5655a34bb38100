//! Bulk price changes: selecting products, computing new prices exactly, previewing and applying them as one change set.
