// @generated automatically by Diesel CLI.

pub mod tenancy {
    diesel::table! {
        tenancy.account_tokens (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            user_id -> Uuid,
            #[max_length = 20]
            purpose -> Varchar,
            #[max_length = 64]
            token_hash -> Varchar,
            created_by -> Nullable<Uuid>,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            used_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        tenancy.customer_changes (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            server_id -> Uuid,
            changed_at -> Timestamptz,
        }
    }

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
        tenancy.domains (customer_id, host) {
            #[max_length = 253]
            host -> Varchar,
            customer_id -> Uuid,
            site_id -> Uuid,
            is_primary -> Bool,
            created_at -> Timestamptz,
            #[max_length = 10]
            state -> Varchar,
            #[max_length = 10]
            verified_by -> Nullable<Varchar>,
            #[max_length = 64]
            token -> Nullable<Varchar>,
            verified_at -> Nullable<Timestamptz>,
            checked_at -> Nullable<Timestamptz>,
            next_check_at -> Nullable<Timestamptz>,
            failing_since -> Nullable<Timestamptz>,
            #[max_length = 300]
            check_error -> Nullable<Varchar>,
        }
    }

    diesel::table! {
        tenancy.mail_outbox (customer_id, id) {
            customer_id -> Uuid,
            id -> Uuid,
            #[max_length = 40]
            kind -> Varchar,
            #[max_length = 200]
            from_name -> Varchar,
            #[max_length = 320]
            to_address -> Varchar,
            #[max_length = 300]
            subject -> Varchar,
            text_body -> Text,
            html_body -> Text,
            #[max_length = 10]
            state -> Varchar,
            attempts -> Int4,
            next_attempt_at -> Timestamptz,
            claim_id -> Nullable<Uuid>,
            claimed_until -> Nullable<Timestamptz>,
            last_error -> Nullable<Text>,
            created_at -> Timestamptz,
            sent_at -> Nullable<Timestamptz>,
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
            feed_length -> Int4,
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
            invitation_pending -> Bool,
        }
    }

    diesel::joinable!(mail_outbox -> customers (customer_id));
    diesel::joinable!(site_branding -> customers (customer_id));
    diesel::joinable!(sites -> customers (customer_id));
    diesel::joinable!(users -> customers (customer_id));

    diesel::allow_tables_to_appear_in_same_query!(
        account_tokens,
        customer_changes,
        customers,
        domains,
        mail_outbox,
        site_branding,
        sites,
        users,
    );
}
