//! Statements built piece by piece (filters, multi-row inserts) with numbered placeholders.
//! `sqlx::QueryBuilder` writes `?` for `Any`, which PostgreSQL does not take; `$n` both do.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, Arguments, Encode, FromRow, Type};

use super::Conn;

pub struct Builder<'q> {
    sql: String,
    args: AnyArguments<'q>,
    n: usize,
}

impl<'q> Builder<'q> {
    pub fn new(sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), args: AnyArguments::default(), n: 0 }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.n += 1;
        let _ = write!(self.sql, "${}", self.n);
        // Encoding into `Any`'s buffer only copies the value; the types here never refuse.
        if let Err(e) = self.args.add(value) {
            unreachable!("binding a value to a statement failed: {e}");
        }
        self
    }

    /// `(a, b, …)`: one placeholder per value, in order.
    pub fn push_list<T, I>(&mut self, values: I) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
        I: IntoIterator<Item = T>,
    {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(v);
        }
        self.push(")")
    }

    /// ` VALUES (…), (…)`: one tuple per row, filled by `row`.
    pub fn push_values<R, I>(&mut self, rows: I, mut row: impl FnMut(&mut Tuple<'_, 'q>, R)) -> &mut Self
    where
        I: IntoIterator<Item = R>,
    {
        self.push(" VALUES ");
        for (i, r) in rows.into_iter().enumerate() {
            self.push(if i > 0 { ", (" } else { "(" });
            row(&mut Tuple { builder: self, first: true }, r);
            self.push(")");
        }
        self
    }

    pub async fn execute(self, conn: &mut Conn) -> Result<AnyQueryResult, sqlx::Error> {
        sqlx::query_with(&self.sql, self.args).execute(conn).await
    }

    pub async fn fetch_all<T>(self, conn: &mut Conn) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        sqlx::query_as_with(&self.sql, self.args).fetch_all(conn).await
    }
}

/// One row of a `VALUES` list.
pub struct Tuple<'b, 'q> {
    builder: &'b mut Builder<'q>,
    first: bool,
}

impl<'q> Tuple<'_, 'q> {
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if !self.first {
            self.builder.push(", ");
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}
