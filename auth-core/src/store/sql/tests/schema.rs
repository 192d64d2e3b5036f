//! The two backends' migrations (`migrations/sqlite`, `migrations/postgres`) are kept by hand;
//! this check migrates a fresh database of each and compares what they built: the same tables,
//! the same columns, and the same columns allowing NULL. Column types differ on purpose (each
//! backend's native types) and are not compared.

use super::TestStore;
use crate::store::sql::{Backend, Pool};
use std::collections::BTreeMap;

/// Every table's columns, each with whether it allows NULL.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

async fn schema(backend: Backend) -> Schema {
    let store = TestStore::new(backend).await;
    let columns: Vec<(String, String, bool)> = match &store.pool {
        // A primary key column allows NULL in SQLite unless it is declared NOT NULL (a
        // compatibility quirk); no row ever stores one, and PostgreSQL's key columns are
        // NOT NULL, so a key column counts as NOT NULL.
        Pool::Sqlite(pool) => sqlx::query_as(
            "SELECT m.name, c.name, c.\"notnull\" = 0 AND c.pk = 0 \
             FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Pool::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text, is_nullable = 'YES' \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    let mut schema = Schema::new();
    for (table, column, nullable) in columns {
        schema.entry(table).or_default().insert(column, nullable);
    }
    schema
}

/// What differs between the two schemas, one line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let null = |nullable: bool| if nullable { "NULL allowed" } else { "NOT NULL" };
    for (table, columns) in sqlite {
        let Some(other) = postgres.get(table) else {
            found.push(format!("table `{table}` only in SQLite"));
            continue;
        };
        for (column, nullable) in columns {
            match other.get(column) {
                None => found.push(format!("column `{table}.{column}` only in SQLite")),
                Some(other) if other != nullable => found.push(format!(
                    "column `{table}.{column}`: {} in SQLite, {} in PostgreSQL",
                    null(*nullable),
                    null(*other)
                )),
                Some(_) => {}
            }
        }
        for column in other.keys().filter(|c| !columns.contains_key(*c)) {
            found.push(format!("column `{table}.{column}` only in PostgreSQL"));
        }
    }
    for table in postgres.keys().filter(|t| !sqlite.contains_key(*t)) {
        found.push(format!("table `{table}` only in PostgreSQL"));
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migrations_define_the_same_tables_and_columns() {
    let sqlite = schema(Backend::Sqlite).await;
    let postgres = schema(Backend::Postgres).await;
    assert!(sqlite.len() > 10, "the migrations ran: {:?}", sqlite.keys());
    let found = differences(&sqlite, &postgres);
    assert!(
        found.is_empty(),
        "the SQLite and PostgreSQL migrations differ:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_difference_is_named() {
    let schema = |tables: &[(&str, &[(&str, bool)])]| -> Schema {
        tables
            .iter()
            .map(|(table, columns)| {
                let columns = columns.iter().map(|(c, n)| (c.to_string(), *n));
                (table.to_string(), columns.collect())
            })
            .collect()
    };
    let sqlite = schema(&[("users", &[("id", false), ("email", false)]), ("old", &[])]);
    let postgres = schema(&[("users", &[("id", false), ("email", true), ("phone", true)])]);
    assert_eq!(
        differences(&sqlite, &postgres),
        [
            "column `users.email`: NOT NULL in SQLite, NULL allowed in PostgreSQL",
            "column `users.phone` only in PostgreSQL",
            "table `old` only in SQLite",
        ]
    );
}
