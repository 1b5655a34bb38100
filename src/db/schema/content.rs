// @generated automatically by Diesel CLI.

pub mod content {
    diesel::table! {
        content.post_revisions (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            post_id -> Uuid,
            revision_number -> Int4,
            #[max_length = 500]
            title -> Varchar,
            #[max_length = 500]
            slug -> Varchar,
            body_markdown -> Text,
            description -> Text,
            tags -> Array<Text>,
            #[max_length = 20]
            status -> Varchar,
            published_at -> Nullable<Timestamptz>,
            trashed_at -> Nullable<Timestamptz>,
            editor_id -> Nullable<Uuid>,
            #[max_length = 200]
            editor_label -> Varchar,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        content.posts (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            site_id -> Uuid,
            #[max_length = 500]
            title -> Varchar,
            #[max_length = 500]
            slug -> Varchar,
            body_markdown -> Text,
            body_html -> Text,
            description -> Text,
            tags -> Array<Text>,
            #[max_length = 20]
            status -> Varchar,
            published_at -> Nullable<Timestamptz>,
            trashed_at -> Nullable<Timestamptz>,
            version -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        content.preview_links (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            post_id -> Uuid,
            revision_number -> Int4,
            #[max_length = 64]
            token_hash -> Varchar,
            created_by -> Nullable<Uuid>,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            revoked_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        content.slug_redirects (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            site_id -> Uuid,
            #[max_length = 500]
            old_slug -> Varchar,
            post_id -> Uuid,
            created_at -> Timestamptz,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(
        post_revisions,
        posts,
        preview_links,
        slug_redirects,
    );
}
