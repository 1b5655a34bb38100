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
