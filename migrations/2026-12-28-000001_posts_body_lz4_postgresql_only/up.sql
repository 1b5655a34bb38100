-- PostgreSQL only (the name of this migration says so; tests/migrations_lint.rs allows column
-- compression nowhere else in the migrations): post bodies as rendered HTML are stored compressed
-- with lz4 instead of pglz. Every uncached public page reads one, and pglz's decompression was the
-- largest cost of such a read inside PostgreSQL; lz4 decompresses several times faster for about a
-- third more bytes (BENCHMARKS.md, "Stored bodies"). Values already stored keep pglz until they
-- are written again (a save, or `VACUUM FULL content.posts` to rewrite them all at once).
--
-- CockroachDB compresses storage by its own means and has no per-column setting: there this
-- migration is recorded as applied by hand instead of running (docs/deploy/cockroachdb.md).
ALTER TABLE content.posts ALTER COLUMN body_html SET COMPRESSION lz4;
