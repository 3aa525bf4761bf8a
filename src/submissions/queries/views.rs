//! The shapes a submission is shown in (the JSON API answers them; the
//! pages build on them), and [`view`], the one place that decides what of
//! a submission its viewer may see.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::challenges::model::Licence;
use crate::challenges::store::Challenge;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::submissions::model::{self, Viewer};
use crate::submissions::store::{self, Attachment, Revision, Submission};

use super::sources::{built_upon_by, chain, public_holders, SourceRef};

/// The challenge a submission belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeRef {
    pub id: String,
    pub slug: String,
    pub title: String,
}

impl From<&Challenge> for ChallengeRef {
    fn from(c: &Challenge) -> Self {
        ChallengeRef {
            id: c.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
        }
    }
}

/// A team member as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberView {
    pub user_id: String,
    pub display_name: String,
    /// `submitter` or `member`.
    pub role: String,
    /// Basis points of the team's prize.
    pub share_bps: i32,
    /// Left out of results and of what the public sees (shown to the team,
    /// the organisation and judges allowed names).
    pub anonymous: bool,
}

/// An attachment as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Where to download it.
    pub url: String,
}

/// An attachment of submission `submission_id` as the API lists it.
pub fn attachment_view(submission_id: &str, a: Attachment) -> AttachmentView {
    AttachmentView {
        url: format!("/api/v1/submissions/{submission_id}/attachments/{}", a.id),
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
    }
}

/// A revision's proof: number, hash, time.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionRef {
    pub number: i32,
    /// SHA-256 of the revision's canonical content.
    pub sha256: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

impl From<&Revision> for RevisionRef {
    fn from(r: &Revision) -> Self {
        RevisionRef {
            number: r.number,
            sha256: r.content_sha256.clone(),
            created_at: r.created_at,
        }
    }
}

/// A submission as its viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: String,
    pub challenge: ChallengeRef,
    /// draft, submitted, withdrawn or disqualified.
    pub state: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub body: String,
    pub body_html: String,
    pub licence: Licence,
    pub copyright_holders: String,
    /// "Title — by A, B — CC-BY-4.0".
    pub attribution: String,
    pub team: Vec<TeamMemberView>,
    pub revision: RevisionRef,
    /// The revision in force at the deadline, once it has passed.
    pub judged_revision: Option<i32>,
    pub attachments: Vec<AttachmentView>,
    pub publish_opt_in: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub published_at: Option<NaiveDateTime>,
    /// For the team and the organisation.
    pub disqualified_reason: Option<String>,
    /// What this entry builds on, nearest first (the source, its source, …).
    pub builds_on: Vec<SourceRef>,
    /// Published entries that build on this one.
    pub built_upon_by: Vec<SourceRef>,
    /// The team's rules and where a withdrawal stands: for the team only.
    pub team_rules: Option<TeamRulesView>,
}

/// A team's rules, and the agreement a withdrawal waits for.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamRulesView {
    /// `team`: every member must agree to withdraw; `creator`: the team's
    /// creator decides alone.
    pub withdrawal: String,
    /// Members who join later are named among the copyright holders.
    pub credit_joiners: bool,
    /// The user who started the team.
    pub created_by: String,
    /// Members who agreed to withdraw this entry.
    pub withdrawal_agreed: Vec<String>,
    /// Members whose agreement the withdrawal still waits for.
    pub withdrawal_waiting_for: Vec<String>,
}

/// A revision in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub number: i32,
    pub title: String,
    pub licence: String,
    pub sha256: String,
    pub attachments: usize,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    /// This is the revision in force at the deadline.
    pub judged: bool,
}

/// A team invitation waiting for me.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyInvitation {
    pub id: String,
    pub challenge: ChallengeRef,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// The attribution line of a published work.
pub fn attribution(title: &str, holders: &str, licence: &str) -> String {
    format!("{title} — by {holders} — {licence}")
}

/// The licence a revision was stored with (checked when it was written).
pub fn stored_licence(rev: &Revision) -> AppResult<Licence> {
    Licence::parse(&rev.licence)
        .ok_or_else(|| AppError::internal(format!("unknown stored licence {}", rev.licence)))
}

/// The revision in force at the deadline, once the deadline has passed.
pub(super) fn judged(revs: &[Revision], deadline: NaiveDateTime) -> Option<i32> {
    if now() < deadline {
        return None;
    }
    let pairs: Vec<(i32, NaiveDateTime)> = revs.iter().map(|r| (r.number, r.created_at)).collect();
    model::judged_revision(&pairs, deadline)
}

/// The names of a team's members, in join order: "Ada, Grace".
pub fn team_names(conn: &mut DbConnection, team_id: &str) -> AppResult<String> {
    Ok(store::members(conn, team_id)?
        .into_iter()
        .map(|(_, n, _)| n)
        .collect::<Vec<_>>()
        .join(", "))
}

/// Builds the view of a submission at its current revision.
pub fn view(
    conn: &mut DbConnection,
    s: &Submission,
    c: &Challenge,
    v: Viewer,
) -> AppResult<SubmissionView> {
    let rev = store::revision(conn, &s.id, s.current_revision)?;
    let files = store::attachments_by_ids(conn, &rev.attachment_list())?;
    // The public sees only the members who agreed to be named.
    let insider = v.team_member || v.organiser || v.assigned_judge;
    let team = store::members(conn, &s.team_id)?
        .into_iter()
        .filter(|(m, _, _)| insider || !m.anonymous)
        .map(|(m, name, _)| TeamMemberView {
            user_id: m.user_id,
            display_name: name,
            role: m.role,
            share_bps: m.share_bps,
            anonymous: m.anonymous,
        })
        .collect();
    // The history is read only once the deadline has passed.
    let revs = if now() >= c.submission_deadline {
        store::revisions_of(conn, &s.id)?
    } else {
        Vec::new()
    };
    let judged = judged(&revs, c.submission_deadline);
    let licence = stored_licence(&rev)?;
    let holders = public_holders(conn, s, &rev)?;
    let team_rules = if v.team_member {
        Some(team_rules(conn, s)?)
    } else {
        None
    };
    Ok(SubmissionView {
        id: s.id.clone(),
        challenge: ChallengeRef::from(c),
        state: s.state.clone(),
        attribution: attribution(&rev.title, &holders, &licence.id),
        title: rev.title.clone(),
        abstract_text: rev.abstract_text.clone(),
        body_html: crate::markdown::render(&rev.body_md),
        body: rev.body_md.clone(),
        licence,
        copyright_holders: holders,
        team,
        revision: RevisionRef::from(&rev),
        judged_revision: judged,
        attachments: files
            .into_iter()
            .map(|a| attachment_view(&s.id, a))
            .collect(),
        publish_opt_in: s.publish_opt_in,
        published_at: s.published_at,
        disqualified_reason: if v.team_member || v.organiser {
            s.disqualified_reason.clone()
        } else {
            None
        },
        builds_on: chain(conn, s)?,
        built_upon_by: built_upon_by(conn, s)?,
        team_rules,
    })
}

/// The team's rules as its members see them on an entry.
fn team_rules(conn: &mut DbConnection, s: &Submission) -> AppResult<TeamRulesView> {
    let rules = store::team_rules(conn, &s.team_id)?;
    let members: Vec<String> = store::members(conn, &s.team_id)?
        .into_iter()
        .map(|(m, _, _)| m.user_id)
        .collect();
    let votes: Vec<String> = store::withdrawal_votes(conn, &s.id)?
        .into_iter()
        .filter(|v| members.contains(v))
        .collect();
    let needed: Vec<String> = if rules.withdrawal == model::team::withdrawal::CREATOR {
        vec![rules.created_by.clone()]
    } else {
        members
    };
    let waiting = if votes.is_empty() {
        Vec::new()
    } else {
        needed.into_iter().filter(|m| !votes.contains(m)).collect()
    };
    Ok(TeamRulesView {
        withdrawal: rules.withdrawal,
        credit_joiners: rules.credit_joiners,
        created_by: rules.created_by,
        withdrawal_agreed: votes,
        withdrawal_waiting_for: waiting,
    })
}

/// How the team sees its own submission.
pub const TEAM: Viewer = Viewer {
    team_member: true,
    organiser: false,
    assigned_judge: false,
};

/// How the organisation sees a submission to its challenge.
pub const ORGANISER: Viewer = Viewer {
    team_member: false,
    organiser: true,
    assigned_judge: false,
};
