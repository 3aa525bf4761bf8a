//! Questions to the organisation, their answers, and announcements.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{announcements, questions};
use crate::db::{new_id, DbConnection};

/// A question with its answer.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questions)]
pub struct Question {
    pub id: String,
    pub challenge_id: String,
    pub asked_by: String,
    pub body: String,
    pub is_public: bool,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Records a question, public or private to the organisation.
pub fn insert_question(
    conn: &mut DbConnection,
    challenge_id: &str,
    by: &str,
    body: &str,
    is_public: bool,
    now: NaiveDateTime,
) -> QueryResult<Question> {
    let id = new_id();
    diesel::insert_into(questions::table)
        .values((
            questions::id.eq(&id),
            questions::challenge_id.eq(challenge_id),
            questions::asked_by.eq(by),
            questions::body.eq(body),
            questions::is_public.eq(is_public),
            questions::created_at.eq(now),
        ))
        .execute(conn)?;
    questions::table
        .find(&id)
        .select(Question::as_select())
        .first(conn)
}

/// A question by id.
pub fn find_question(conn: &mut DbConnection, id: &str) -> QueryResult<Question> {
    questions::table
        .find(id)
        .select(Question::as_select())
        .first(conn)
}

/// Records the organisation's answer to a question.
pub fn answer_question(
    conn: &mut DbConnection,
    id: &str,
    answer: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Question> {
    diesel::update(questions::table.find(id))
        .set((
            questions::answer.eq(Some(answer)),
            questions::answered_by.eq(Some(by)),
            questions::answered_at.eq(Some(now)),
        ))
        .execute(conn)?;
    find_question(conn, id)
}

/// Who may see which questions.
#[derive(Debug, Clone)]
pub enum QuestionScope {
    /// The organisation sees everything.
    All,
    /// Anyone else: answered public questions, plus their own.
    Viewer(Option<String>),
}

/// The questions of a challenge `scope` may see, oldest first.
pub fn list_questions(
    conn: &mut DbConnection,
    challenge_id: &str,
    scope: &QuestionScope,
) -> QueryResult<Vec<Question>> {
    let mut q = questions::table
        .filter(questions::challenge_id.eq(challenge_id))
        .order(questions::created_at.asc())
        .select(Question::as_select())
        .into_boxed();
    if let QuestionScope::Viewer(me) = scope {
        let me = me.clone().unwrap_or_default();
        q = q.filter(
            questions::is_public
                .eq(true)
                .and(questions::answer.is_not_null())
                .or(questions::asked_by.eq(me)),
        );
    }
    q.load(conn)
}

/// An announcement.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: String,
    pub challenge_id: String,
    pub title: String,
    pub body_md: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Records an announcement.
pub fn insert_announcement(
    conn: &mut DbConnection,
    challenge_id: &str,
    title: &str,
    body: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Announcement> {
    let id = new_id();
    diesel::insert_into(announcements::table)
        .values((
            announcements::id.eq(&id),
            announcements::challenge_id.eq(challenge_id),
            announcements::title.eq(title),
            announcements::body_md.eq(body),
            announcements::created_by.eq(by),
            announcements::created_at.eq(now),
        ))
        .execute(conn)?;
    announcements::table
        .find(&id)
        .select(Announcement::as_select())
        .first(conn)
}

/// The announcements of a challenge, newest first.
pub fn list_announcements(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Vec<Announcement>> {
    announcements::table
        .filter(announcements::challenge_id.eq(challenge_id))
        .order(announcements::created_at.desc())
        .select(Announcement::as_select())
        .load(conn)
}
