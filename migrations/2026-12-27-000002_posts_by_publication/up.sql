-- When a site's next scheduled post or page becomes visible (`next_scheduled_at`, read with the
-- site's context every time host routing loads it): the first published row after now, one
-- index lookup instead of a scan of the site's rows.
CREATE INDEX posts_by_publication ON content.posts (customer_id, site_id, published_at)
    WHERE status = 'published' AND trashed_at IS NULL;
