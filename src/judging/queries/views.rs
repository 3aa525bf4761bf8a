//! What the panel, a judge and the public see of judging. In a blind round
//! a judge's views carry no team member's name, email or user id: entries
//! are their neutral code and title, attachments `attachment-N.ext`.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::challenges::model::{Licence, State};
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::judging::model::{self, Criterion, RoundState};
use crate::judging::store::{self, card_state, judge_status, Judge, Round};

/// A conflict of interest as the organisation sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictView {
    pub submission_id: String,
    pub title: String,
    /// Why (declared by the judge, or found by Tribu).
    pub reason: String,
    /// Found by Tribu rather than declared.
    pub automatic: bool,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// A member of a challenge's panel, as the organisation sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgeView {
    pub id: String,
    pub email: String,
    /// The judge's name once they accepted.
    pub name: Option<String>,
    /// `invited`, `active`, `declined` or `removed`.
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub invited_at: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub responded_at: Option<NaiveDateTime>,
    /// Entries assigned to them, in every round.
    pub assigned: usize,
    /// Scorecards they submitted.
    pub submitted: usize,
    pub conflicts: Vec<ConflictView>,
}

/// Lists of things answer `{ "data": [...] }`.
#[derive(Debug, Serialize, ToSchema)]
pub struct JudgeList {
    pub data: Vec<JudgeView>,
}

fn title_of(conn: &mut DbConnection, submission_id: &str) -> AppResult<String> {
    Ok(crate::submissions::store::find(conn, submission_id)?.title)
}

/// The panel of a challenge.
pub fn panel(conn: &mut DbConnection, ch: &Challenge) -> AppResult<Vec<JudgeView>> {
    let conflicts = store::conflicts_of_challenge(conn, &ch.id)?;
    let mut out = Vec::new();
    for j in store::judges_of(conn, &ch.id)? {
        let name = match &j.user_id {
            Some(uid) => Some(crate::auth::store::find_user(conn, uid)?.display_name),
            None => None,
        };
        let assignments = store::assignments_of_judge(conn, &j.id)?;
        let mut submitted = 0;
        for a in &assignments {
            if store::scorecard_of(conn, &a.id)?.is_some_and(|s| s.state == card_state::SUBMITTED) {
                submitted += 1;
            }
        }
        let mut cs = Vec::new();
        for c in conflicts.iter().filter(|c| c.judge_id == j.id) {
            cs.push(ConflictView {
                title: title_of(conn, &c.submission_id)?,
                submission_id: c.submission_id.clone(),
                reason: c.reason.clone(),
                automatic: c.automatic,
                created_at: c.created_at,
            });
        }
        out.push(JudgeView {
            id: j.id,
            email: j.email,
            name,
            status: j.status,
            invited_at: j.created_at,
            responded_at: j.responded_at,
            assigned: assignments.len(),
            submitted,
            conflicts: cs,
        });
    }
    Ok(out)
}

/// How far a round's judging has come, for the organisation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub assignments: usize,
    pub submitted: usize,
    pub drafts: usize,
    pub per_judge: Vec<JudgeProgress>,
    pub per_entry: Vec<EntryProgress>,
}

/// One judge's progress in a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgeProgress {
    pub judge_id: String,
    pub name: String,
    pub assigned: usize,
    pub submitted: usize,
}

/// One entry's progress in a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryProgress {
    pub submission_id: String,
    pub code: String,
    pub title: String,
    /// Judge ids assigned.
    pub judges: Vec<String>,
    pub submitted: usize,
}

/// A round. The rubric of the first round is public from publication on,
/// a later round's once it opens; judges, entries and progress are the
/// organisation's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    pub id: String,
    pub number: i32,
    pub name: String,
    /// `draft`, `open` or `closed`.
    pub state: String,
    pub judges_per_entry: i32,
    pub normalise: bool,
    pub shortlist: Option<i32>,
    pub criteria: Vec<Criterion>,
    /// The panel judges of this round (organisation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judges: Option<Vec<String>>,
    pub entries: usize,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub opened_at: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub closed_at: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// Lists of rounds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundList {
    pub data: Vec<RoundView>,
}

/// A round as shown; `organiser` adds judges and progress.
pub fn round_view(conn: &mut DbConnection, round: &Round, organiser: bool) -> AppResult<RoundView> {
    let entries = store::round_entries(conn, &round.id)?;
    let progress = if organiser {
        let assignments = store::assignments_of_round(conn, &round.id)?;
        let cards = store::scorecards_of_round(conn, &round.id)?;
        let submitted_ids: Vec<&str> = cards
            .iter()
            .filter(|c| c.state == card_state::SUBMITTED)
            .map(|c| c.assignment_id.as_str())
            .collect();
        let mut per_judge = Vec::new();
        for j in store::round_judge_ids(conn, &round.id)? {
            let judge = store::find_judge(conn, &j)?;
            let name = match &judge.user_id {
                Some(uid) => crate::auth::store::find_user(conn, uid)?.display_name,
                None => judge.email.clone(),
            };
            let mine: Vec<_> = assignments.iter().filter(|a| a.judge_id == j).collect();
            per_judge.push(JudgeProgress {
                judge_id: j.clone(),
                name,
                assigned: mine.len(),
                submitted: mine
                    .iter()
                    .filter(|a| submitted_ids.contains(&a.id.as_str()))
                    .count(),
            });
        }
        let mut per_entry = Vec::new();
        for e in &entries {
            let mine: Vec<_> = assignments
                .iter()
                .filter(|a| a.submission_id == e.submission_id)
                .collect();
            per_entry.push(EntryProgress {
                submission_id: e.submission_id.clone(),
                code: e.code.clone(),
                title: title_of(conn, &e.submission_id)?,
                judges: mine.iter().map(|a| a.judge_id.clone()).collect(),
                submitted: mine
                    .iter()
                    .filter(|a| submitted_ids.contains(&a.id.as_str()))
                    .count(),
            });
        }
        Some(Progress {
            assignments: assignments.len(),
            submitted: submitted_ids.len(),
            drafts: cards.len() - submitted_ids.len(),
            per_judge,
            per_entry,
        })
    } else {
        None
    };
    Ok(RoundView {
        id: round.id.clone(),
        number: round.number,
        name: round.name.clone(),
        state: round.state.clone(),
        judges_per_entry: round.judges_per_entry,
        normalise: round.normalise,
        shortlist: round.shortlist,
        criteria: store::criteria_of(conn, &round.id)?,
        judges: if organiser {
            Some(store::round_judge_ids(conn, &round.id)?)
        } else {
            None
        },
        entries: entries.len(),
        opened_at: round.opened_at,
        closed_at: round.closed_at,
        progress,
    })
}

/// The rounds of a challenge as the caller may see them: every round for
/// its organisation; for anyone else the first round's rubric once the
/// challenge is published and a later round's once it opens.
pub fn rounds(
    conn: &mut DbConnection,
    ch: &Challenge,
    organiser: bool,
) -> AppResult<Vec<RoundView>> {
    let mut out = Vec::new();
    for r in store::rounds_of(conn, &ch.id)? {
        let public = (r.number == 1 && ch.stored_state() != State::Draft)
            || r.round_state() != RoundState::Draft;
        if organiser || public {
            out.push(round_view(conn, &r, organiser)?);
        }
    }
    Ok(out)
}

/// A round in a judge's view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundRef {
    pub id: String,
    pub number: i32,
    pub name: String,
    pub state: String,
}

impl From<&Round> for RoundRef {
    fn from(r: &Round) -> Self {
        RoundRef {
            id: r.id.clone(),
            number: r.number,
            name: r.name.clone(),
            state: r.state.clone(),
        }
    }
}

/// The challenge in a judge's view.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = JudgingChallenge)]
pub struct ChallengeRef {
    pub id: String,
    pub slug: String,
    pub title: String,
    /// Judges see no names in this challenge.
    pub blind: bool,
}

impl From<&Challenge> for ChallengeRef {
    fn from(c: &Challenge) -> Self {
        ChallengeRef {
            id: c.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
            blind: c.blind_judging,
        }
    }
}

/// A scorecard's state in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardSummary {
    /// `draft` or `submitted`.
    pub state: String,
    /// The weighted score, 0–100, when every criterion is scored.
    pub total: Option<f64>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub updated_at: NaiveDateTime,
}

/// One of a judge's assignments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: String,
    pub round: RoundRef,
    pub challenge: ChallengeRef,
    pub submission_id: String,
    /// The entry's neutral code in this round.
    pub code: String,
    pub title: String,
    pub scorecard: Option<CardSummary>,
}

/// A judge's assignments.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentList {
    pub data: Vec<AssignmentView>,
}

/// Every assignment of a person, across their panels, newest round first.
pub fn my_assignments(conn: &mut DbConnection, user_id: &str) -> AppResult<Vec<AssignmentView>> {
    let mut out = Vec::new();
    for judge in store::roles_of_user(conn, user_id)? {
        let ch = challenges::find(conn, &judge.challenge_id)?;
        for a in store::assignments_of_judge(conn, &judge.id)? {
            let round = store::find_round(conn, &a.round_id)?;
            let entry = store::round_entry(conn, &round.id, &a.submission_id)?;
            let card = store::scorecard_of(conn, &a.id)?;
            out.push(AssignmentView {
                id: a.id.clone(),
                round: RoundRef::from(&round),
                challenge: ChallengeRef::from(&ch),
                submission_id: a.submission_id.clone(),
                code: entry.map(|e| e.code).unwrap_or_default(),
                title: title_of(conn, &a.submission_id)?,
                scorecard: card.map(|c| CardSummary {
                    state: c.state,
                    total: c.total,
                    updated_at: c.updated_at,
                }),
            });
        }
    }
    out.sort_by(|a, b| {
        (b.round.state == "open")
            .cmp(&(a.round.state == "open"))
            .then(a.challenge.title.cmp(&b.challenge.title))
            .then(a.code.cmp(&b.code))
    });
    Ok(out)
}

/// An attachment as a judge downloads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgedFile {
    /// 1 for the first file of the judged revision.
    pub index: usize,
    /// The file's name, or `attachment-N.ext` in a blind round.
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub url: String,
}

/// A judge's scorecard in full.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardView {
    pub state: String,
    pub scores: BTreeMap<String, i32>,
    pub comments: BTreeMap<String, String>,
    pub total: Option<f64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub submitted_at: Option<NaiveDateTime>,
}

/// An entry as a judge scores it: the revision in force at the deadline,
/// the round's rubric, and their scorecard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgedEntry {
    pub assignment_id: String,
    pub round: RoundRef,
    pub challenge: ChallengeRef,
    pub submission_id: String,
    pub code: String,
    pub revision: i32,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub body_html: String,
    pub licence: Option<Licence>,
    /// The team's names (never in a blind round).
    pub team: Option<Vec<String>>,
    pub files: Vec<JudgedFile>,
    pub criteria: Vec<Criterion>,
    pub scorecard: Option<ScorecardView>,
}

/// The assignment of `user_id` with this id, with its round, judge and
/// challenge (404 for anyone else's).
fn own_assignment(
    conn: &mut DbConnection,
    user_id: &str,
    assignment_id: &str,
) -> AppResult<(store::Assignment, Round, Judge, Challenge)> {
    let a = store::find_assignment(conn, assignment_id)?.ok_or(AppError::NotFound)?;
    let round = store::find_round(conn, &a.round_id)?;
    let judge = store::find_judge(conn, &a.judge_id)?;
    if judge.user_id.as_deref() != Some(user_id) || judge.status != judge_status::ACTIVE {
        return Err(AppError::NotFound);
    }
    let ch = challenges::find(conn, &round.challenge_id)?;
    Ok((a, round, judge, ch))
}

/// The files of a judged revision, named as the judge may see them.
fn judged_files(
    conn: &mut DbConnection,
    a: &store::Assignment,
    revision: &crate::submissions::store::Revision,
    blind: bool,
    base: &str,
) -> AppResult<Vec<(JudgedFile, crate::submissions::store::Attachment)>> {
    let ids = revision.attachment_list();
    let mut files = crate::submissions::store::attachments_by_ids(conn, &ids)?;
    files.sort_by_key(|f| ids.iter().position(|i| i == &f.id));
    Ok(files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let index = i + 1;
            let name = if blind {
                model::neutral_file_name(index, &f.filename)
            } else {
                f.filename.clone()
            };
            (
                JudgedFile {
                    index,
                    name,
                    content_type: f.content_type.clone(),
                    size: f.size,
                    sha256: f.sha256.clone(),
                    url: format!("{base}/assignments/{}/files/{index}", a.id),
                },
                f,
            )
        })
        .collect())
}

/// The entry of one of a judge's assignments. `base` prefixes file links
/// (`/api/v1` for the API, empty for pages under `/judging`).
pub fn judged_entry(
    conn: &mut DbConnection,
    user_id: &str,
    assignment_id: &str,
    base: &str,
) -> AppResult<JudgedEntry> {
    let (a, round, _, ch) = own_assignment(conn, user_id, assignment_id)?;
    let entry = store::round_entry(conn, &round.id, &a.submission_id)?.ok_or(AppError::NotFound)?;
    let rev = crate::submissions::store::revision(conn, &a.submission_id, entry.revision)?;
    let blind = ch.blind_judging;
    let files = judged_files(conn, &a, &rev, blind, base)?
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let team = if blind {
        None
    } else {
        let s = crate::submissions::store::find(conn, &a.submission_id)?;
        Some(
            crate::submissions::store::members(conn, &s.team_id)?
                .into_iter()
                .map(|(_, name, _)| name)
                .collect(),
        )
    };
    let scorecard = match store::scorecard_of(conn, &a.id)? {
        Some(card) => {
            let mut scores = BTreeMap::new();
            let mut comments = BTreeMap::new();
            for (criterion, score, comment) in store::scores_of(conn, &card.id)? {
                scores.insert(criterion.clone(), score);
                if !comment.is_empty() {
                    comments.insert(criterion, comment);
                }
            }
            Some(ScorecardView {
                state: card.state,
                scores,
                comments,
                total: card.total,
                submitted_at: card.submitted_at,
            })
        }
        None => None,
    };
    Ok(JudgedEntry {
        assignment_id: a.id.clone(),
        round: RoundRef::from(&round),
        challenge: ChallengeRef::from(&ch),
        submission_id: a.submission_id.clone(),
        code: entry.code,
        revision: entry.revision,
        title: rev.title.clone(),
        abstract_text: rev.abstract_text.clone(),
        body_html: crate::markdown::render(&rev.body_md),
        licence: Licence::parse(&rev.licence),
        team,
        files,
        criteria: store::criteria_of(conn, &round.id)?,
        scorecard,
    })
}

/// A file of a judged entry: what to stream, the name to give it, and a
/// licence notice without names when the round is blind.
pub fn judged_file(
    conn: &mut DbConnection,
    user_id: &str,
    assignment_id: &str,
    index: usize,
) -> AppResult<(crate::submissions::store::Attachment, String, String)> {
    let (a, round, _, ch) = own_assignment(conn, user_id, assignment_id)?;
    let entry = store::round_entry(conn, &round.id, &a.submission_id)?.ok_or(AppError::NotFound)?;
    let rev = crate::submissions::store::revision(conn, &a.submission_id, entry.revision)?;
    let (file, attachment) = judged_files(conn, &a, &rev, ch.blind_judging, "")?
        .into_iter()
        .find(|(f, _)| f.index == index)
        .ok_or(AppError::NotFound)?;
    let notice = if ch.blind_judging {
        format!("Licence: {}", rev.licence)
    } else {
        format!(
            "{} — by {} — {}",
            rev.title, rev.copyright_holders, rev.licence
        )
    };
    Ok((attachment, file.name, notice))
}

/// One entry of a round as its judges see it (to declare conflicts).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundEntryView {
    pub submission_id: String,
    pub code: String,
    pub title: String,
    /// The judge declared (or Tribu found) a conflict with it.
    pub conflicted: bool,
    /// The judge's assignment on it, if any.
    pub assignment_id: Option<String>,
}

/// A round for one of its judges.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgeRoundView {
    pub round: RoundRef,
    pub challenge: ChallengeRef,
    pub criteria: Vec<Criterion>,
    pub entries: Vec<RoundEntryView>,
    /// Scorecards submitted of those assigned.
    pub done: usize,
    pub assigned: usize,
}

/// A round as one of its judges sees it.
pub fn judge_round(
    conn: &mut DbConnection,
    user_id: &str,
    round_id: &str,
) -> AppResult<JudgeRoundView> {
    let round = store::find_round_opt(conn, round_id)?.ok_or(AppError::NotFound)?;
    let judge = crate::judging::service::judge_of_round(conn, &round, user_id)?;
    let ch = challenges::find(conn, &round.challenge_id)?;
    let conflicts = store::conflicts_of_judge(conn, &judge.id)?;
    let mine = store::assignments_of_judge(conn, &judge.id)?;
    let mut entries = Vec::new();
    let (mut done, mut assigned) = (0, 0);
    for e in store::round_entries(conn, &round.id)? {
        let a = mine
            .iter()
            .find(|a| a.round_id == round.id && a.submission_id == e.submission_id);
        if let Some(a) = a {
            assigned += 1;
            if store::scorecard_of(conn, &a.id)?.is_some_and(|c| c.state == card_state::SUBMITTED) {
                done += 1;
            }
        }
        entries.push(RoundEntryView {
            title: title_of(conn, &e.submission_id)?,
            conflicted: conflicts.iter().any(|c| c.submission_id == e.submission_id),
            assignment_id: a.map(|a| a.id.clone()),
            submission_id: e.submission_id,
            code: e.code,
        });
    }
    Ok(JudgeRoundView {
        round: RoundRef::from(&round),
        challenge: ChallengeRef::from(&ch),
        criteria: store::criteria_of(conn, &round.id)?,
        entries,
        done,
        assigned,
    })
}

/// An invitation to judge, as the invitee sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgeInvitationView {
    pub id: String,
    pub challenge: ChallengeRef,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub expires_at: NaiveDateTime,
}

/// Pending invitations to judge for an address.
pub fn invitations_for(
    conn: &mut DbConnection,
    email: &str,
) -> AppResult<Vec<JudgeInvitationView>> {
    let mut out = Vec::new();
    for j in store::invitations_for(conn, email, now())? {
        let ch = challenges::find(conn, &j.challenge_id)?;
        out.push(JudgeInvitationView {
            id: j.id,
            challenge: ChallengeRef::from(&ch),
            expires_at: j.expires_at,
        });
    }
    Ok(out)
}

/// The invitation behind a token, if still pending (for its page).
pub fn invitation_by_token(
    conn: &mut DbConnection,
    token: &str,
) -> AppResult<Option<(JudgeInvitationView, String)>> {
    let Some(j) = store::invitation_by_token(conn, token, now())? else {
        return Ok(None);
    };
    let ch = challenges::find(conn, &j.challenge_id)?;
    Ok(Some((
        JudgeInvitationView {
            id: j.id,
            challenge: ChallengeRef::from(&ch),
            expires_at: j.expires_at,
        },
        j.email,
    )))
}
