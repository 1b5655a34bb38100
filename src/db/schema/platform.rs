// @generated automatically by Diesel CLI.

pub mod platform {
    diesel::table! {
        platform.operator_sign_ins (id) {
            id -> Uuid,
            #[max_length = 320]
            email -> Varchar,
            #[max_length = 100]
            client -> Varchar,
            #[max_length = 20]
            outcome -> Varchar,
            occurred_at -> Timestamptz,
        }
    }

    diesel::table! {
        platform.operators (id) {
            id -> Uuid,
            #[max_length = 320]
            email -> Varchar,
            password_hash -> Text,
            is_active -> Bool,
            session_generation -> Int4,
            version -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(operator_sign_ins, operators,);
}
