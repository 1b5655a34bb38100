// @generated automatically by Diesel CLI.

pub mod audit {
    diesel::table! {
        audit.events (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            occurred_at -> Timestamptz,
            actor_id -> Nullable<Uuid>,
            #[max_length = 200]
            actor_label -> Varchar,
            #[max_length = 50]
            entity -> Varchar,
            entity_id -> Uuid,
            #[max_length = 50]
            action -> Varchar,
            before -> Nullable<Jsonb>,
            after -> Nullable<Jsonb>,
            #[max_length = 64]
            ip -> Nullable<Varchar>,
            #[max_length = 64]
            request_id -> Nullable<Varchar>,
        }
    }
}

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

    diesel::allow_tables_to_appear_in_same_query!(post_revisions, posts,);
}

pub mod tenancy {
    diesel::table! {
        tenancy.customers (id) {
            id -> Uuid,
            #[max_length = 200]
            name -> Varchar,
            #[max_length = 3]
            currency -> Bpchar,
            is_active -> Bool,
            version -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        tenancy.domains (host) {
            #[max_length = 253]
            host -> Varchar,
            customer_id -> Uuid,
            site_id -> Uuid,
            is_primary -> Bool,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        tenancy.sites (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 200]
            name -> Varchar,
            is_active -> Bool,
            version -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        tenancy.users (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 320]
            email -> Varchar,
            password_hash -> Text,
            #[max_length = 20]
            role -> Varchar,
            is_active -> Bool,
            session_generation -> Int4,
            version -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::joinable!(sites -> customers (customer_id));
    diesel::joinable!(users -> customers (customer_id));

    diesel::allow_tables_to_appear_in_same_query!(customers, domains, sites, users,);
}

pub mod thorne {
    diesel::table! {
        thorne.products (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 64]
            sku -> Varchar,
            #[max_length = 300]
            name -> Varchar,
            description -> Text,
            #[max_length = 100]
            category -> Varchar,
            wholesale_price -> Numeric,
            retail_price -> Numeric,
            in_stock -> Bool,
            archived_at -> Nullable<Timestamptz>,
            version -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }
}
