// @generated automatically by Diesel CLI.

pub mod content {
    pub mod sql_types {
        #[derive(diesel::sql_types::SqlType)]
        #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
        pub struct Tsvector;
    }

    diesel::table! {
        content.imported_items (customer_id, site_id, source, source_key) {
            customer_id -> Uuid,
            site_id -> Uuid,
            #[max_length = 20]
            source -> Varchar,
            #[max_length = 500]
            source_key -> Varchar,
            #[max_length = 10]
            kind -> Varchar,
            target_id -> Uuid,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        content.media (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 64]
            sha256 -> Varchar,
            #[max_length = 255]
            original_name -> Varchar,
            #[max_length = 10]
            format -> Varchar,
            size_bytes -> Int8,
            width -> Int4,
            height -> Int4,
            #[max_length = 1000]
            alt_text -> Varchar,
            #[max_length = 2000]
            caption -> Varchar,
            uploaded_by -> Nullable<Uuid>,
            #[max_length = 200]
            uploaded_by_label -> Varchar,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            version -> Int4,
        }
    }

    diesel::table! {
        content.media_files (customer_id, media_id, name) {
            customer_id -> Uuid,
            media_id -> Uuid,
            #[max_length = 80]
            name -> Varchar,
            #[max_length = 10]
            format -> Varchar,
            width -> Int4,
            height -> Int4,
            size_bytes -> Int8,
        }
    }

    diesel::table! {
        content.menu_items (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            site_id -> Uuid,
            #[max_length = 10]
            placement -> Varchar,
            ordinal -> Int4,
            #[max_length = 100]
            label -> Varchar,
            #[max_length = 20]
            target -> Varchar,
            page_id -> Nullable<Uuid>,
            #[max_length = 2000]
            target_value -> Varchar,
        }
    }

    diesel::table! {
        content.menus (customer_id, site_id, placement) {
            customer_id -> Uuid,
            site_id -> Uuid,
            #[max_length = 10]
            placement -> Varchar,
            version -> Int4,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        content.old_addresses (customer_id, site_id, old_path) {
            customer_id -> Uuid,
            site_id -> Uuid,
            #[max_length = 2000]
            old_path -> Varchar,
            post_id -> Nullable<Uuid>,
            #[max_length = 2000]
            target -> Nullable<Varchar>,
            created_at -> Timestamptz,
        }
    }

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
            featured_media_id -> Nullable<Uuid>,
            #[max_length = 200]
            byline -> Varchar,
        }
    }

    diesel::table! {
        content.post_tags (customer_id, post_id, slug) {
            customer_id -> Uuid,
            post_id -> Uuid,
            site_id -> Uuid,
            #[max_length = 200]
            slug -> Varchar,
            #[max_length = 100]
            name -> Varchar,
        }
    }

    diesel::table! {
        use diesel::sql_types::*;
        use super::sql_types::Tsvector;

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
            featured_media_id -> Nullable<Uuid>,
            search_vector -> Tsvector,
            #[max_length = 10]
            kind -> Varchar,
            #[max_length = 200]
            byline -> Varchar,
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
        content.site_import_parts (customer_id, upload_id, file, seq) {
            customer_id -> Uuid,
            upload_id -> Uuid,
            #[max_length = 10]
            file -> Varchar,
            seq -> Int4,
            bytes -> Bytea,
        }
    }

    diesel::table! {
        content.site_import_uploads (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            site_id -> Uuid,
            #[max_length = 20]
            source -> Varchar,
            #[max_length = 255]
            export_name -> Varchar,
            export_bytes -> Int8,
            #[max_length = 64]
            export_sha256 -> Varchar,
            #[max_length = 255]
            archive_name -> Nullable<Varchar>,
            archive_bytes -> Nullable<Int8>,
            report -> Jsonb,
            uploaded_by -> Nullable<Uuid>,
            #[max_length = 200]
            uploaded_by_label -> Varchar,
            uploaded_at -> Timestamptz,
            applied_at -> Nullable<Timestamptz>,
            applied_report -> Nullable<Jsonb>,
            version -> Int4,
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
        imported_items,
        media,
        media_files,
        menu_items,
        menus,
        old_addresses,
        post_revisions,
        post_tags,
        posts,
        preview_links,
        site_import_parts,
        site_import_uploads,
        slug_redirects,
    );
}
