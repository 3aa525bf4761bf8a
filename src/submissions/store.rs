//! Submission queries: teams and members, invitations, share proposals,
//! submissions, immutable revisions, attachments, the public gallery.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::crypto::{random_token, token_hash};
use crate::db::schema::{
    attachments, revisions, share_approvals, share_proposals, submissions, team_invitations,
    team_members, teams, users,
};
use crate::db::{new_id, DbConnection};

mod sharing;
pub use sharing::*;

/// A team's membership row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = team_members)]
pub struct Member {
    pub team_id: String,
    pub challenge_id: String,
    pub user_id: String,
    /// `submitter` or `member`.
    pub role: String,
    pub share_bps: i32,
    pub joined_at: NaiveDateTime,
    /// Results and public views leave this member's name out.
    pub anonymous: bool,
    /// Joined after the holders were written and named among them by the
    /// team's rule (unless anonymous).
    pub credited: bool,
}

/// The team of `user_id` in a challenge, if any.
pub fn team_of(
    conn: &mut DbConnection,
    challenge_id: &str,
    user_id: &str,
) -> QueryResult<Option<String>> {
    team_members::table
        .filter(team_members::challenge_id.eq(challenge_id))
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id)
        .first(conn)
        .optional()
}

/// Creates a team of one (the submitter) for a challenge.
pub fn create_team(
    conn: &mut DbConnection,
    challenge_id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(teams::table)
        .values((
            teams::id.eq(&id),
            teams::challenge_id.eq(challenge_id),
            teams::created_by.eq(user_id),
            teams::created_at.eq(now),
        ))
        .execute(conn)?;
    add_member(
        conn,
        &id,
        challenge_id,
        user_id,
        "submitter",
        super::model::WHOLE,
        now,
    )?;
    Ok(id)
}

pub fn add_member(
    conn: &mut DbConnection,
    team_id: &str,
    challenge_id: &str,
    user_id: &str,
    role: &str,
    share: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(team_members::table)
        .values((
            team_members::team_id.eq(team_id),
            team_members::challenge_id.eq(challenge_id),
            team_members::user_id.eq(user_id),
            team_members::role.eq(role),
            team_members::share_bps.eq(share),
            team_members::joined_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn remove_member(conn: &mut DbConnection, team_id: &str, user_id: &str) -> QueryResult<usize> {
    diesel::delete(team_members::table.find((team_id, user_id))).execute(conn)
}

/// Members in join order, with names.
pub fn members(
    conn: &mut DbConnection,
    team_id: &str,
) -> QueryResult<Vec<(Member, String, String)>> {
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .order((team_members::joined_at.asc(), team_members::user_id.asc()))
        .select((Member::as_select(), users::display_name, users::email))
        .load(conn)
}

/// Sets every member's share (in member order).
pub fn set_shares(
    conn: &mut DbConnection,
    team_id: &str,
    shares: &[(String, i32)],
) -> QueryResult<()> {
    for (user, share) in shares {
        diesel::update(team_members::table.find((team_id, user)))
            .set(team_members::share_bps.eq(*share))
            .execute(conn)?;
    }
    Ok(())
}

pub fn team_challenge(conn: &mut DbConnection, team_id: &str) -> QueryResult<String> {
    teams::table
        .find(team_id)
        .select(teams::challenge_id)
        .first(conn)
}

// ---- invitations ----

/// A team invitation.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = team_invitations)]
pub struct TeamInvitation {
    pub id: String,
    pub team_id: String,
    pub email: String,
    pub token_hash: String,
    pub invited_by: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
    /// After this an unanswered invitation no longer works.
    pub expires_at: Option<NaiveDateTime>,
}

/// How long a team invitation can be answered.
pub const INVITATION_TTL_DAYS: i64 = 14;

pub fn invite(
    conn: &mut DbConnection,
    team_id: &str,
    email: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<(TeamInvitation, String)> {
    let token = random_token("");
    let id = new_id();
    diesel::insert_into(team_invitations::table)
        .values((
            team_invitations::id.eq(&id),
            team_invitations::team_id.eq(team_id),
            team_invitations::email.eq(email),
            team_invitations::token_hash.eq(token_hash(&token)),
            team_invitations::invited_by.eq(by),
            team_invitations::status.eq("pending"),
            team_invitations::created_at.eq(now),
            team_invitations::expires_at
                .eq(Some(now + chrono::Duration::days(INVITATION_TTL_DAYS))),
        ))
        .execute(conn)?;
    let inv = team_invitations::table
        .find(&id)
        .select(TeamInvitation::as_select())
        .first(conn)?;
    Ok((inv, token))
}

/// When team invitations to `email` were made since `since` (for the per-address limit).
pub fn invitations_to_since(
    conn: &mut DbConnection,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    team_invitations::table
        .filter(team_invitations::email.eq(email))
        .filter(team_invitations::created_at.gt(since))
        .select(team_invitations::created_at)
        .load(conn)
}

/// When `user_id` uploaded attachments since `since` (the hourly limit).
pub fn uploads_since(
    conn: &mut DbConnection,
    user_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    attachments::table
        .filter(attachments::uploaded_by.eq(user_id))
        .filter(attachments::created_at.gt(since))
        .select(attachments::created_at)
        .load(conn)
}

pub fn invitation_by_token(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<TeamInvitation>> {
    team_invitations::table
        .filter(team_invitations::token_hash.eq(token_hash(token)))
        .filter(team_invitations::status.eq("pending"))
        .filter(team_invitations::expires_at.gt(now))
        .select(TeamInvitation::as_select())
        .first(conn)
        .optional()
}

/// A pending invitation by its id.
pub fn invitation_by_id(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<TeamInvitation>> {
    team_invitations::table
        .find(id)
        .filter(team_invitations::status.eq("pending"))
        .filter(team_invitations::expires_at.gt(now))
        .select(TeamInvitation::as_select())
        .first(conn)
        .optional()
}

pub fn pending_invitations(
    conn: &mut DbConnection,
    team_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<TeamInvitation>> {
    team_invitations::table
        .filter(team_invitations::team_id.eq(team_id))
        .filter(team_invitations::status.eq("pending"))
        .filter(team_invitations::expires_at.gt(now))
        .select(TeamInvitation::as_select())
        .load(conn)
}

/// Invitations waiting for this email, across challenges.
pub fn invitations_for(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<TeamInvitation>> {
    team_invitations::table
        .filter(team_invitations::email.eq(email))
        .filter(team_invitations::status.eq("pending"))
        .filter(team_invitations::expires_at.gt(now))
        .order(team_invitations::created_at.desc())
        .select(TeamInvitation::as_select())
        .load(conn)
}

pub fn respond(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        team_invitations::table
            .find(id)
            .filter(team_invitations::status.eq("pending")),
    )
    .set((
        team_invitations::status.eq(status),
        team_invitations::responded_at.eq(Some(now)),
    ))
    .execute(conn)
}

// ---- share proposals ----

/// A proposed split, waiting for every member's approval.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = share_proposals)]
pub struct Proposal {
    pub id: String,
    pub team_id: String,
    /// JSON `[[user_id, bps], …]`.
    pub shares: String,
    pub proposed_by: String,
    /// `pending`, `applied` or `superseded`.
    pub status: String,
    pub created_at: NaiveDateTime,
}

pub fn propose(
    conn: &mut DbConnection,
    team_id: &str,
    shares_json: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Proposal> {
    // Only one proposal is pending at a time.
    supersede_proposals(conn, team_id)?;
    let id = new_id();
    diesel::insert_into(share_proposals::table)
        .values((
            share_proposals::id.eq(&id),
            share_proposals::team_id.eq(team_id),
            share_proposals::shares.eq(shares_json),
            share_proposals::proposed_by.eq(by),
            share_proposals::status.eq("pending"),
            share_proposals::created_at.eq(now),
        ))
        .execute(conn)?;
    share_proposals::table
        .find(&id)
        .select(Proposal::as_select())
        .first(conn)
}

/// Ends pending proposals (membership changed, or a new one was made).
pub fn supersede_proposals(conn: &mut DbConnection, team_id: &str) -> QueryResult<usize> {
    diesel::update(
        share_proposals::table
            .filter(share_proposals::team_id.eq(team_id))
            .filter(share_proposals::status.eq("pending")),
    )
    .set(share_proposals::status.eq("superseded"))
    .execute(conn)
}

pub fn pending_proposal(conn: &mut DbConnection, team_id: &str) -> QueryResult<Option<Proposal>> {
    share_proposals::table
        .filter(share_proposals::team_id.eq(team_id))
        .filter(share_proposals::status.eq("pending"))
        .select(Proposal::as_select())
        .first(conn)
        .optional()
}

pub fn approve(
    conn: &mut DbConnection,
    proposal_id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let exists: i64 = share_approvals::table
        .filter(share_approvals::proposal_id.eq(proposal_id))
        .filter(share_approvals::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(share_approvals::table)
            .values((
                share_approvals::proposal_id.eq(proposal_id),
                share_approvals::user_id.eq(user_id),
                share_approvals::approved_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn approvals(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<Vec<String>> {
    share_approvals::table
        .filter(share_approvals::proposal_id.eq(proposal_id))
        .select(share_approvals::user_id)
        .load(conn)
}

pub fn mark_applied(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<usize> {
    diesel::update(share_proposals::table.find(proposal_id))
        .set(share_proposals::status.eq("applied"))
        .execute(conn)
}

// ---- submissions and revisions ----

/// A submission row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct Submission {
    pub id: String,
    pub challenge_id: String,
    pub team_id: String,
    pub state: String,
    pub title: String,
    pub licence: String,
    pub current_revision: i32,
    pub disqualified_reason: Option<String>,
    pub publish_opt_in: bool,
    pub published_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the entry was first entered (never, for a draft).
    pub submitted_at: Option<NaiveDateTime>,
    /// The published solution this entry builds on.
    pub builds_on: Option<String>,
}

/// An immutable revision.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct Revision {
    pub id: String,
    pub submission_id: String,
    pub number: i32,
    pub title: String,
    pub abstract_text: String,
    pub body_md: String,
    pub licence: String,
    pub copyright_holders: String,
    /// Space-separated attachment ids.
    pub attachment_ids: String,
    pub content_sha256: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl Revision {
    pub fn attachment_list(&self) -> Vec<String> {
        self.attachment_ids
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}

#[allow(clippy::too_many_arguments)] // one argument per column
pub fn insert_submission(
    conn: &mut DbConnection,
    challenge_id: &str,
    team_id: &str,
    state: &str,
    title: &str,
    licence: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Submission> {
    let id = new_id();
    diesel::insert_into(submissions::table)
        .values((
            submissions::id.eq(&id),
            submissions::challenge_id.eq(challenge_id),
            submissions::team_id.eq(team_id),
            submissions::state.eq(state),
            submissions::title.eq(title),
            submissions::licence.eq(licence),
            submissions::current_revision.eq(0),
            submissions::publish_opt_in.eq(false),
            submissions::created_by.eq(by),
            submissions::created_at.eq(now),
            submissions::updated_at.eq(now),
            submissions::submitted_at.eq((state == super::model::state::SUBMITTED).then_some(now)),
        ))
        .execute(conn)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Submission> {
    submissions::table
        .find(id)
        .select(Submission::as_select())
        .first(conn)
}

pub fn find_opt(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Submission>> {
    submissions::table
        .find(id)
        .select(Submission::as_select())
        .first(conn)
        .optional()
}

/// Fields of a new revision.
pub struct NewRevision<'a> {
    pub title: &'a str,
    pub abstract_text: &'a str,
    pub body_md: &'a str,
    pub licence: &'a str,
    pub copyright_holders: &'a str,
    pub attachment_ids: &'a [String],
    pub content_sha256: &'a str,
}

/// Appends revision `current + 1` and makes it current.
pub fn add_revision(
    conn: &mut DbConnection,
    s: &Submission,
    r: &NewRevision<'_>,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Revision> {
    let number = s.current_revision + 1;
    let id = new_id();
    diesel::insert_into(revisions::table)
        .values((
            revisions::id.eq(&id),
            revisions::submission_id.eq(&s.id),
            revisions::number.eq(number),
            revisions::title.eq(r.title),
            revisions::abstract_text.eq(r.abstract_text),
            revisions::body_md.eq(r.body_md),
            revisions::licence.eq(r.licence),
            revisions::copyright_holders.eq(r.copyright_holders),
            revisions::attachment_ids.eq(r.attachment_ids.join(" ")),
            revisions::content_sha256.eq(r.content_sha256),
            revisions::created_by.eq(by),
            revisions::created_at.eq(now),
        ))
        .execute(conn)?;
    // Conditional on the number we read: two concurrent edits cannot both win.
    let n = diesel::update(
        submissions::table
            .find(&s.id)
            .filter(submissions::current_revision.eq(s.current_revision)),
    )
    .set((
        submissions::current_revision.eq(number),
        submissions::title.eq(r.title),
        submissions::licence.eq(r.licence),
        submissions::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n != 1 {
        return Err(diesel::result::Error::RollbackTransaction);
    }
    revisions::table
        .find(&id)
        .select(Revision::as_select())
        .first(conn)
}

pub fn revisions_of(conn: &mut DbConnection, submission_id: &str) -> QueryResult<Vec<Revision>> {
    revisions::table
        .filter(revisions::submission_id.eq(submission_id))
        .order(revisions::number.asc())
        .select(Revision::as_select())
        .load(conn)
}

pub fn revision(
    conn: &mut DbConnection,
    submission_id: &str,
    number: i32,
) -> QueryResult<Revision> {
    revisions::table
        .filter(revisions::submission_id.eq(submission_id))
        .filter(revisions::number.eq(number))
        .select(Revision::as_select())
        .first(conn)
}

pub fn set_state(
    conn: &mut DbConnection,
    id: &str,
    from: &[&str],
    to: &str,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        submissions::table
            .find(id)
            .filter(submissions::state.eq_any(from)),
    )
    .set((
        submissions::state.eq(to),
        submissions::disqualified_reason.eq(reason),
        submissions::updated_at.eq(now),
    ))
    .execute(conn)
    .and_then(|n| {
        // The first entry is remembered: from then on the organisation sees it.
        if n == 1 && to == super::model::state::SUBMITTED {
            diesel::update(
                submissions::table
                    .find(id)
                    .filter(submissions::submitted_at.is_null()),
            )
            .set(submissions::submitted_at.eq(Some(now)))
            .execute(conn)?;
        }
        Ok(n)
    })
}

pub fn set_opt_in(
    conn: &mut DbConnection,
    id: &str,
    opt_in: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(submissions::table.find(id))
        .set((
            submissions::publish_opt_in.eq(opt_in),
            submissions::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Submissions of a team that count against the per-solver limit.
pub fn active_count(conn: &mut DbConnection, team_id: &str) -> QueryResult<i64> {
    submissions::table
        .filter(submissions::team_id.eq(team_id))
        .filter(
            submissions::state.eq_any([super::model::state::DRAFT, super::model::state::SUBMITTED]),
        )
        .count()
        .get_result(conn)
}

pub fn of_challenge(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Submission>> {
    submissions::table
        .filter(submissions::challenge_id.eq(challenge_id))
        .order(submissions::created_at.asc())
        .select(Submission::as_select())
        .load(conn)
}

/// The submissions of every team the user is in.
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<Submission>> {
    let teams: Vec<String> = team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id)
        .load(conn)?;
    submissions::table
        .filter(submissions::team_id.eq_any(teams))
        .order(submissions::updated_at.desc())
        .select(Submission::as_select())
        .load(conn)
}

pub fn of_team(conn: &mut DbConnection, team_id: &str) -> QueryResult<Vec<Submission>> {
    submissions::table
        .filter(submissions::team_id.eq(team_id))
        .select(Submission::as_select())
        .load(conn)
}

/// Whether `user_id` is in the submission's team.
/// Whether results and public views name a member.
pub fn set_anonymous(
    conn: &mut DbConnection,
    team_id: &str,
    user_id: &str,
    anonymous: bool,
) -> QueryResult<usize> {
    diesel::update(team_members::table.find((team_id, user_id)))
        .set(team_members::anonymous.eq(anonymous))
        .execute(conn)
}

pub fn is_member(conn: &mut DbConnection, team_id: &str, user_id: &str) -> QueryResult<bool> {
    let n: i64 = team_members::table
        .find((team_id, user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Marks submissions published (results day).
pub fn mark_published(
    conn: &mut DbConnection,
    ids: &[String],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        submissions::table
            .filter(submissions::id.eq_any(ids))
            .filter(submissions::published_at.is_null()),
    )
    .set(submissions::published_at.eq(Some(now)))
    .execute(conn)
}

/// Published submissions for the gallery, newest first, filtered.
pub fn published(
    conn: &mut DbConnection,
    q: Option<&str>,
    licence: Option<&str>,
    challenge_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Submission>> {
    let mut query = submissions::table
        .filter(submissions::published_at.is_not_null())
        .order((submissions::published_at.desc(), submissions::id.desc()))
        .select(Submission::as_select())
        .limit(limit.clamp(1, 100))
        .into_boxed();
    if let Some(l) = licence {
        query = query.filter(submissions::licence.eq(l.to_owned()));
    }
    if let Some(c) = challenge_id {
        query = query.filter(submissions::challenge_id.eq(c.to_owned()));
    }
    if let Some(words) = q.and_then(crate::challenges::model::search_terms) {
        for w in words {
            let pattern = format!("%{w}%");
            let matching = revisions::table
                .filter(
                    revisions::body_md
                        .like(pattern.clone())
                        .or(revisions::abstract_text.like(pattern.clone()))
                        .or(revisions::title.like(pattern.clone())),
                )
                .select(revisions::submission_id);
            query = query.filter(
                submissions::title
                    .like(pattern)
                    .or(submissions::id.eq_any(matching)),
            );
        }
    }
    query.load(conn)
}

// ---- attachments ----

/// Metadata of a stored file.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: String,
    pub submission_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)] // one argument per column
pub fn insert_attachment(
    conn: &mut DbConnection,
    submission_id: &str,
    filename: &str,
    content_type: &str,
    size: i64,
    sha256: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Attachment> {
    let id = new_id();
    diesel::insert_into(attachments::table)
        .values((
            attachments::id.eq(&id),
            attachments::submission_id.eq(submission_id),
            attachments::filename.eq(filename),
            attachments::content_type.eq(content_type),
            attachments::size.eq(size),
            attachments::sha256.eq(sha256),
            attachments::uploaded_by.eq(by),
            attachments::created_at.eq(now),
        ))
        .execute(conn)?;
    attachments::table
        .find(&id)
        .select(Attachment::as_select())
        .first(conn)
}

pub fn attachments_by_ids(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Attachment>> {
    attachments::table
        .filter(attachments::id.eq_any(ids))
        .select(Attachment::as_select())
        .load(conn)
}

pub fn attachment(conn: &mut DbConnection, id: &str) -> QueryResult<Attachment> {
    attachments::table
        .find(id)
        .select(Attachment::as_select())
        .first(conn)
}

/// The teams in which `user_id` chose to stay anonymous in public.
pub fn anonymous_teams(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<String>> {
    team_members::table
        .filter(team_members::user_id.eq(user_id))
        .filter(team_members::anonymous.eq(true))
        .select(team_members::team_id)
        .load(conn)
}
