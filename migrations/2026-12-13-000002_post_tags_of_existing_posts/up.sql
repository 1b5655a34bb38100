-- The tags of the posts saved before tag pages existed. The address form is made here with what
-- every supported engine has (lower case; runs of spaces, underscores and dashes as one dash; no
-- dash at either end): the write path's own for tags written in ASCII. Any other tag gets the
-- write path's exact form (NFKC, full Unicode lower case) when its post is saved again. A tag the
-- write path refuses (too long, or with nothing but dots to make an address of) is left out.
INSERT INTO content.post_tags (customer_id, post_id, site_id, slug, name)
SELECT customer_id, post_id, site_id, slug, min(name)
  FROM (SELECT p.customer_id, p.id AS post_id, p.site_id, btrim(t.name) AS name,
               btrim(regexp_replace(lower(btrim(t.name)), '[[:space:]_-]+', '-', 'g'), '-') AS slug
          FROM content.posts AS p
          CROSS JOIN LATERAL unnest(p.tags) AS t (name)) AS tagged
 WHERE btrim(slug, '.') <> '' AND char_length(slug) <= 200 AND char_length(name) <= 100
 GROUP BY customer_id, post_id, site_id, slug
ON CONFLICT DO NOTHING;
