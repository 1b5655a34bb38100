// @generated automatically by Diesel CLI.

pub mod thorne {
    pub mod sql_types {
        #[derive(diesel::sql_types::SqlType)]
        #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
        pub struct Tsvector;
    }

    diesel::table! {
        thorne.change_sets (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 200]
            name -> Varchar,
            #[max_length = 20]
            kind -> Varchar,
            created_by -> Nullable<Uuid>,
            #[max_length = 200]
            created_by_label -> Varchar,
            created_at -> Timestamptz,
            reverted_at -> Nullable<Timestamptz>,
            #[max_length = 200]
            reverted_by_label -> Nullable<Varchar>,
            version -> Int4,
        }
    }

    diesel::table! {
        thorne.csv_uploads (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 255]
            file_name -> Varchar,
            content -> Bytea,
            #[max_length = 64]
            sha256 -> Varchar,
            size_bytes -> Int8,
            uploaded_by -> Nullable<Uuid>,
            #[max_length = 200]
            uploaded_by_label -> Varchar,
            uploaded_at -> Timestamptz,
            applied_at -> Nullable<Timestamptz>,
            change_set_id -> Nullable<Uuid>,
            version -> Int4,
        }
    }

    diesel::table! {
        thorne.price_changes (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            product_id -> Uuid,
            change_set_id -> Uuid,
            old_wholesale_price -> Numeric,
            new_wholesale_price -> Numeric,
            old_retail_price -> Numeric,
            new_retail_price -> Numeric,
            reason -> Text,
            changed_by -> Nullable<Uuid>,
            #[max_length = 200]
            changed_by_label -> Varchar,
            changed_at -> Timestamptz,
        }
    }

    diesel::table! {
        thorne.product_images (customer_id, product_id, media_id) {
            customer_id -> Uuid,
            product_id -> Uuid,
            media_id -> Uuid,
            position -> Int4,
        }
    }

    diesel::table! {
        use diesel::sql_types::*;
        use super::sql_types::Tsvector;

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
            search_vector -> Tsvector,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(
        change_sets,
        csv_uploads,
        price_changes,
        product_images,
        products,
    );
}
