//! The platform admins' money page, `GET /admin/money`: the money report
//! as a table that stacks into labelled cards on a phone.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::report::{self, MoneyFigures};
use crate::error::AppError;
use crate::frontend::format::money;
use crate::frontend::page_admin::PageAdmin;
use crate::frontend::{render, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// One line of the table: a challenge, or a currency's total.
struct Row {
    /// The challenge's title, or the currency of a total.
    title: String,
    /// Empty for a total.
    slug: String,
    /// Formatted for the reader's language, in the order of `Page::columns`.
    amounts: Vec<String>,
}

fn amounts(t: Tr, f: &MoneyFigures) -> Vec<String> {
    [
        &f.funded,
        &f.fees,
        &f.awarded,
        &f.paid_out,
        &f.refunded,
        &f.refund_paid,
        &f.outstanding,
    ]
    .into_iter()
    .map(|m| money(t, m))
    .collect()
}

#[derive(Template)]
#[template(path = "money/admin.html")]
struct Page {
    page: PageCtx,
    rows: Vec<Row>,
    totals: Vec<Row>,
}

impl Page {
    /// The headings of the amount columns, each also the label of its cell
    /// when the table stacks.
    fn columns(&self) -> [&'static str; 7] {
        let t = self.page.t;
        [
            t.get("money.col.funded"),
            t.get("money.col.fees"),
            t.get("money.col.awarded"),
            t.get("money.col.paid_out"),
            t.get("money.col.refunded"),
            t.get("money.col.refund_paid"),
            t.get("money.col.outstanding"),
        ]
    }
}

/// `GET /admin/money`: the money report.
pub async fn admin(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
) -> Result<HttpResponse, AppError> {
    let r = report::report(&state).await?;
    let page = admin.ctx(&req);
    let t = page.t;
    let rows = r
        .challenges
        .iter()
        .map(|c| Row {
            title: c.title.clone(),
            slug: c.slug.clone(),
            amounts: amounts(t, &c.figures),
        })
        .collect();
    let totals = r
        .totals
        .iter()
        .map(|c| Row {
            title: c.currency.clone(),
            slug: String::new(),
            amounts: amounts(t, &c.figures),
        })
        .collect();
    render(&Page { page, rows, totals })
}
