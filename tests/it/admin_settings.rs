//! Tests of the settings admin.
