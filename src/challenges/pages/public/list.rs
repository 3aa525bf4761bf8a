//! The list of public challenges: search, filters, sort and cursor pages,
//! read through the same parameters as `GET /api/v1/challenges`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{card, Card};
use crate::auth::extract::MaybeUser;
use crate::challenges::model::{Kind, Sort, State, CATEGORIES};
use crate::challenges::queries::{self, ListParams};
use crate::db::now;
use crate::error::AppError;
use crate::frontend::forms::FormErrors;
use crate::frontend::labels::{category_label, kind_label, state_label};
use crate::frontend::widgets::{Choice, Notice};
use crate::frontend::{render, PageCtx};
use crate::i18n::Tr;
use crate::money::model::{Currency, CURRENCIES};
use crate::state::AppState;

/// Challenges per list page (fills rows of 1, 2 or 3 cards).
const PAGE_SIZE: i64 = 12;
/// The translated name of a sort order.
fn sort_label(t: Tr, s: Sort) -> &'static str {
    match s {
        Sort::Newest => t.get("challenges.sort.newest"),
        Sort::DeadlineSoonest => t.get("challenges.sort.deadline_soonest"),
        Sort::LargestPrize => t.get("challenges.sort.largest_prize"),
    }
}

/// The list page's query: every field as text, so that an empty box of the
/// filter form means "no filter" rather than a bad request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListForm {
    q: String,
    state: String,
    category: String,
    kind: String,
    /// In major units (whole euros…), as people type it.
    min_prize: String,
    currency: String,
    tag: String,
    org: String,
    sort: String,
    cursor: String,
}

impl ListForm {
    /// Keeps only values the filter form offers, so a hand-edited address
    /// narrows nothing instead of failing.
    fn cleaned(&self) -> ListForm {
        let keep = |ok: bool, v: &str| {
            if ok {
                v.trim().to_owned()
            } else {
                String::new()
            }
        };
        let state = self.state.trim();
        let currency = self.currency.trim().to_ascii_uppercase();
        ListForm {
            q: self.q.trim().chars().take(200).collect(),
            state: keep(State::parse(state).is_some_and(State::is_public), state),
            category: keep(CATEGORIES.contains(&self.category.trim()), &self.category),
            kind: keep(Kind::parse(self.kind.trim()).is_some(), &self.kind),
            min_prize: self.min_prize.trim().to_owned(),
            currency: keep(CURRENCIES.iter().any(|(c, _)| *c == currency), &currency),
            tag: self.tag.trim().to_lowercase(),
            org: self.org.trim().to_lowercase(),
            sort: match self.sort.trim() {
                "" => String::new(),
                s => Sort::parse(s)
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            },
            cursor: self.cursor.trim().to_owned(),
        }
    }

    /// The smallest prize in minor units of the chosen currency (cents when
    /// none is chosen); `Err` when the box holds something else than an amount.
    fn min_prize_minor(&self) -> Result<Option<i64>, ()> {
        if self.min_prize.is_empty() {
            return Ok(None);
        }
        let units = Currency::parse("currency", &self.currency)
            .map(|c| c.minor_units())
            .unwrap_or(2);
        crate::money::model::parse_typed_amount(&self.min_prize, units)
    }

    /// The API's parameters for this form.
    fn params(&self, min_prize: Option<i64>) -> ListParams {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        ListParams {
            q: opt(&self.q),
            state: opt(&self.state),
            category: opt(&self.category),
            tag: opt(&self.tag),
            kind: opt(&self.kind),
            min_prize,
            currency: opt(&self.currency),
            org: opt(&self.org),
            sort: opt(&self.sort),
            limit: Some(PAGE_SIZE),
            cursor: opt(&self.cursor),
        }
    }

    /// The filters as query pairs (without the cursor).
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("q", self.q.as_str()),
            ("state", &self.state),
            ("category", &self.category),
            ("kind", &self.kind),
            ("min_prize", &self.min_prize),
            ("currency", &self.currency),
            ("tag", &self.tag),
            ("org", &self.org),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// The link to the list with these filters, and a cursor if given.
    pub fn href(&self, cursor: Option<&str>) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            ser.append_pair(k, v);
        }
        if let Some(c) = cursor {
            ser.append_pair("cursor", c);
        }
        let qs = ser.finish();
        if qs.is_empty() {
            "/challenges".to_owned()
        } else {
            format!("/challenges?{qs}")
        }
    }

    /// How many filters besides the search words and the sort are set.
    fn filter_count(&self) -> usize {
        [
            &self.state,
            &self.category,
            &self.kind,
            &self.min_prize,
            &self.currency,
            &self.tag,
            &self.org,
        ]
        .iter()
        .filter(|v| !v.is_empty())
        .count()
    }
}

#[derive(Template)]
#[template(path = "challenges/list.html")]
struct ListPage {
    page: PageCtx,
    form: ListForm,
    cards: Vec<Card>,
    next_href: Option<String>,
    first_href: Option<String>,
    states: Vec<Choice>,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    currencies: Vec<Choice>,
    sorts: Vec<Choice>,
    filters_open: bool,
    filtered: bool,
    /// "12 challenges": how many match, over every page.
    count: String,
    /// Organisations with public challenges, for the filter.
    orgs: Vec<Choice>,
    errors: FormErrors,
    notice: Option<Notice>,
    /// With a category chosen: follow it.
    follow: Option<crate::frontend::follow::FollowButton>,
}

/// `GET /challenges`: search, filter, sort and page through public challenges.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<ListForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let form = q.into_inner().cleaned();
    let mut errors = FormErrors::default();
    let min_prize = form.min_prize_minor().unwrap_or_else(|()| {
        errors.add("min_prize", t.get("challenges.filter.min_prize_invalid"));
        None
    });
    let params = form.params(min_prize);
    let queries::Browsed {
        page: found,
        cursor_reset,
        total,
        orgs,
    } = queries::browse(&state, params).await?;
    let at = now();
    let cards = found.data.into_iter().map(|s| card(t, s, at)).collect();
    let next = found.next_cursor;
    let states = with_any(
        t.get("challenges.filter.any_state"),
        &form.state,
        State::ALL
            .into_iter()
            .filter(|s| s.is_public())
            .map(|s| (s.as_str().to_owned(), state_label(t, s).to_owned())),
    );
    let categories = with_any(
        t.get("challenges.filter.any_category"),
        &form.category,
        CATEGORIES
            .iter()
            .map(|c| ((*c).to_owned(), category_label(t, c))),
    );
    let kinds = with_any(
        t.get("challenges.filter.any_kind"),
        &form.kind,
        Kind::ALL
            .into_iter()
            .map(|k| (k.as_str().to_owned(), kind_label(t, k.as_str()))),
    );
    let currencies = with_any(
        t.get("challenges.filter.any_currency"),
        &form.currency,
        CURRENCIES
            .iter()
            .map(|(c, _)| ((*c).to_owned(), (*c).to_owned())),
    );
    let current_sort = if form.sort.is_empty() {
        Sort::Newest.as_str()
    } else {
        form.sort.as_str()
    };
    let sorts = [Sort::Newest, Sort::DeadlineSoonest, Sort::LargestPrize]
        .into_iter()
        .map(|s| Choice::of(s.as_str(), sort_label(t, s), current_sort))
        .collect();
    let notice = if cursor_reset {
        Some(Notice::info(t.get("challenges.list.cursor_reset")))
    } else {
        None
    };
    let follow = match CATEGORIES.iter().find(|c| **c == form.category) {
        Some(cat) => Some(
            crate::frontend::follow::FollowButton::load(
                &state,
                &user,
                crate::notify::follows::target::CATEGORY,
                cat,
                &format!("/challenges?category={cat}"),
            )
            .await?,
        ),
        None => None,
    };
    let page = ListPage {
        follow,
        page: ctx,
        next_href: next.as_deref().map(|c| form.href(Some(c))),
        first_href: (!form.cursor.is_empty()).then(|| form.href(None)),
        count: match total {
            1 => t.get("challenges.list.count_one").to_owned(),
            n => t.fmt("challenges.list.count", &[("n", &n.to_string())]),
        },
        orgs: with_any(
            t.get("challenges.filter.any_org"),
            &form.org,
            orgs.into_iter(),
        ),
        filters_open: form.filter_count() > 0 || !errors.is_empty(),
        filtered: form.filter_count() > 0 || !form.q.is_empty(),
        form,
        cards,
        states,
        categories,
        kinds,
        currencies,
        sorts,
        errors,
        notice,
    };
    render(&page)
}

/// The options of a filter: "any" first, then `options`, the `current`
/// value selected.
fn with_any(
    any: &str,
    current: &str,
    options: impl Iterator<Item = (String, String)>,
) -> Vec<Choice> {
    std::iter::once(Choice::of("", any, current))
        .chain(options.map(|(value, label)| Choice::of(&value, label, current)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_prizes_are_typed_in_major_units() {
        assert_eq!(
            crate::money::model::parse_typed_amount("1000", 2)
                .ok()
                .flatten(),
            Some(100_000)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("1 000", 2)
                .ok()
                .flatten(),
            Some(100_000)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("2500,5", 2)
                .ok()
                .flatten(),
            Some(250_050)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("2500.05", 2)
                .ok()
                .flatten(),
            Some(250_005)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("12500", 0)
                .ok()
                .flatten(),
            Some(12_500)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("1.5", 0)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("1.50", 2)
                .ok()
                .flatten(),
            Some(150)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("-5", 2)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("abc", 2)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("", 2)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("99999999999999999999", 2)
                .ok()
                .flatten(),
            None
        );
    }

    #[test]
    fn filters_are_cleaned_and_carried_to_the_next_page() {
        let raw = ListForm {
            q: " water ".into(),
            state: "draft".into(),
            category: "water".into(),
            kind: "nonsense".into(),
            currency: "eur".into(),
            sort: "prize".into(),
            tag: "Clean-Water".into(),
            ..ListForm::default()
        };
        let f = raw.cleaned();
        assert_eq!(f.state, "", "drafts are never listed");
        assert_eq!(f.kind, "");
        assert_eq!(f.currency, "EUR");
        assert_eq!(f.sort, "largest_prize");
        assert_eq!(f.tag, "clean-water");
        assert_eq!(
            f.href(Some("abc")),
            "/challenges?q=water&category=water&currency=EUR&tag=clean-water&sort=largest_prize&cursor=abc"
        );
        assert_eq!(ListForm::default().href(None), "/challenges");
        let p = f.params(Some(5));
        assert_eq!(p.limit, Some(PAGE_SIZE));
        assert_eq!(p.min_prize, Some(5));
        assert_eq!(p.cursor, None);
    }
}
