// @generated automatically by Diesel CLI.

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
