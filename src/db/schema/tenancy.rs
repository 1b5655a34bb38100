// @generated automatically by Diesel CLI.

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
            show_lowest_30_day_price -> Bool,
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
        tenancy.site_branding (customer_id, site_id) {
            customer_id -> Uuid,
            site_id -> Uuid,
            #[max_length = 200]
            tagline -> Varchar,
            logo_media_id -> Nullable<Uuid>,
            favicon_media_id -> Nullable<Uuid>,
            share_image_media_id -> Nullable<Uuid>,
            #[max_length = 7]
            accent_colour -> Nullable<Bpchar>,
            footer_markdown -> Text,
            footer_html -> Text,
            social_links -> Array<Nullable<Text>>,
            #[max_length = 35]
            language -> Varchar,
            #[max_length = 64]
            time_zone -> Varchar,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
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
            #[max_length = 20]
            search_language -> Varchar,
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

    diesel::joinable!(site_branding -> customers (customer_id));
    diesel::joinable!(sites -> customers (customer_id));
    diesel::joinable!(users -> customers (customer_id));

    diesel::allow_tables_to_appear_in_same_query!(customers, domains, site_branding, sites, users,);
}
