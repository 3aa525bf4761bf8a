//! The demo judging: panels of outside experts, a rubric per round, and
//! scorecards, played through the judging services as the organisation and
//! the judges would. [`prepare`] runs while submissions are still open (the
//! panel accepts, the organisation writes the rubric); [`run`] once the
//! clock has closed the challenge: the round opens (the challenge moves to
//! `judging` and judges are assigned), judges score, and for an awarded
//! story the round closes and the organisation maps the leaderboard onto
//! the prize tiers, which moves escrow to the winners and refunds the rest.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;

use super::challenges::{Story, CHALLENGES};
use super::organisations::ORGS;
use super::people::People;
use super::timeline::{spread_daytime, Clock};
use super::{as_user, day, failed};
use crate::auth::principal::{AuthUser, Principal};
use crate::judging::model::TierDecision;
use crate::judging::service::panel::{self, Invitation};
use crate::judging::service::results::{self, ResultsInput};
use crate::judging::service::rounds::{self, CriterionInput, RoundInput};
use crate::judging::service::scoring::{self, ScorecardInput};
use crate::state::AppState;

/// A criterion of a rubric.
pub(super) struct CriterionSpec {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    pub(super) weight: f64,
    pub(super) scale: (i32, i32),
    pub(super) comment_required: bool,
}

/// A judge's scorecard on an entry.
pub(super) struct CardSpec {
    pub(super) judge: &'static str,
    /// The entry's key in `super::entries`.
    pub(super) entry: &'static str,
    /// Scores in the rubric's order; fewer than the criteria only in a draft.
    pub(super) scores: &'static [i32],
    /// Comments in the rubric's order ("" for none).
    pub(super) comments: &'static [&'static str],
    /// Submitted, or kept as a draft.
    pub(super) submit: bool,
}

/// How a challenge's judging ends in the story.
pub(super) enum Finish {
    /// The round stays open: judges are still scoring.
    Open,
    /// The round closes and results are published.
    Results {
        /// Days from today.
        closed: i64,
        published: i64,
        /// For each prize tier in order, the leaderboard place that wins
        /// it (1 = first), or `None` to withhold the tier.
        tiers: &'static [Option<usize>],
        show_scores: bool,
    },
}

/// A challenge's judging.
pub(super) struct JudgingSpec {
    pub(super) challenge: &'static str,
    /// The panel, by person key: never members of the organising
    /// organisation, never entrants of the challenge.
    pub(super) judges: &'static [&'static str],
    /// Days from today: the invitations (each judge accepts within days),
    /// the rubric, the opening of the round, the last scorecard.
    pub(super) invited: i64,
    pub(super) rubric: i64,
    pub(super) opened: i64,
    pub(super) scored_until: i64,
    pub(super) round: &'static str,
    pub(super) judges_per_entry: i32,
    pub(super) criteria: &'static [CriterionSpec],
    /// In the order judges wrote them.
    pub(super) cards: &'static [CardSpec],
    pub(super) finish: Finish,
}

/// The judged challenges. Every judge scores every entry, so assignment
/// gives each card of the script its pair.
pub(super) const JUDGING: &[JudgingSpec] = &[
    JudgingSpec {
        challenge: "rainwater-harvesting-kits",
        judges: &["ngozi", "pedro", "hannah"],
        invited: -95,
        rubric: -80,
        opened: -58,
        scored_until: -30,
        round: "Final judging",
        judges_per_entry: 3,
        criteria: &[
            CriterionSpec {
                name: "Safe to drink",
                description: "First flush, screened openings, no light in the store, materials safe for drinking water.",
                weight: 3.0,
                scale: (1, 10),
                comment_required: true,
            },
            CriterionSpec {
                name: "Cost and local materials",
                description: "Under €60, with parts sold in the settlement's hardware shops.",
                weight: 2.0,
                scale: (1, 10),
                comment_required: false,
            },
            CriterionSpec {
                name: "Installed in an afternoon",
                description: "Two people, hand tools, a corrugated-iron roof.",
                weight: 2.0,
                scale: (1, 10),
                comment_required: false,
            },
            CriterionSpec {
                name: "Drawings and instructions",
                description: "Could a local builder make it from the documents alone?",
                weight: 1.0,
                scale: (1, 5),
                comment_required: false,
            },
        ],
        cards: &[
            CardSpec {
                judge: "ngozi",
                entry: "flushbox",
                scores: &[9, 7, 8, 5],
                comments: &["The self-emptying first flush is the best I have seen at this price, and every opening is screened."],
                submit: true,
            },
            CardSpec {
                judge: "pedro",
                entry: "jerrycan-wall",
                scores: &[7, 9, 9, 4],
                comments: &[
                    "Families already trust their jerrycans; the guide should say how to tell a food-grade one.",
                    "",
                    "The fastest install of the four.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "hannah",
                entry: "flushbox",
                scores: &[9, 7, 8, 4],
                comments: &["The only entry with field data: 14 of 15 samples free of E. coli after six weeks."],
                submit: true,
            },
            CardSpec {
                judge: "ngozi",
                entry: "liner-tank",
                scores: &[7, 8, 7, 4],
                comments: &[
                    "A tee-and-cap first flush works only if someone remembers to empty it. The liner itself is food-grade.",
                    "",
                    "The folding cage is clever for narrow lanes.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "pedro",
                entry: "flushbox",
                scores: &[9, 8, 9, 5],
                comments: &[
                    "Clean water by design, and the raised plinth makes the tap usable with a jerrycan.",
                    "",
                    "",
                    "The wordless drawings worked for every builder I showed them to.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "hannah",
                entry: "ferrocement-jar",
                scores: &[8, 6, 3, 3],
                comments: &["Cool, dark storage limits regrowth. A screened overflow would make it excellent."],
                submit: true,
            },
            CardSpec {
                judge: "ngozi",
                entry: "jerrycan-wall",
                scores: &[6, 8, 9, 3],
                comments: &["Not every jerrycan is food-grade, and the manifold needs cleaning: the guide must cover both."],
                submit: true,
            },
            CardSpec {
                judge: "pedro",
                entry: "liner-tank",
                scores: &[8, 9, 8, 4],
                comments: &[
                    "Sound, provided the first flush is emptied.",
                    "The cheapest kit to get home.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "hannah",
                entry: "liner-tank",
                scores: &[7, 8, 7, 4],
                comments: &["No field samples yet; the design is sound if the flush is emptied after every dry spell."],
                submit: true,
            },
            CardSpec {
                judge: "ngozi",
                entry: "ferrocement-jar",
                scores: &[7, 6, 3, 3],
                comments: &[
                    "A good store once cured; the inlet needs a finer screen.",
                    "",
                    "Two days and a skilled mason: not an afternoon.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "hannah",
                entry: "jerrycan-wall",
                scores: &[7, 8, 8, 3],
                comments: &["Many small containers mean many openings to keep clean."],
                submit: true,
            },
            CardSpec {
                judge: "pedro",
                entry: "ferrocement-jar",
                scores: &[6, 7, 4, 3],
                comments: &[
                    "Mortar that is not cured well will sweat and crack.",
                    "",
                    "Skilled work, and a beautiful object.",
                ],
                submit: true,
            },
        ],
        finish: Finish::Results {
            closed: -24,
            published: -21,
            // Winner and runner-up from the leaderboard; the community-choice
            // prize is withheld (see the challenge's announcement).
            tiers: &[Some(1), Some(2), None],
            show_scores: true,
        },
    },
    JudgingSpec {
        challenge: "micromobility-parking-data",
        judges: &["marcus", "ines"],
        invited: -45,
        rubric: -30,
        opened: -10,
        scored_until: -1,
        round: "Evaluation",
        judges_per_entry: 2,
        criteria: &[
            CriterionSpec {
                name: "Clarity of the model",
                description: "Could the city, an operator and a rider's app read the same feed the same way?",
                weight: 2.0,
                scale: (1, 10),
                comment_required: true,
            },
            CriterionSpec {
                name: "Fit with GBFS and existing standards",
                description: "Reuses what GBFS already covers and explains what it adds.",
                weight: 2.0,
                scale: (1, 10),
                comment_required: false,
            },
            CriterionSpec {
                name: "Ease of adoption for operators",
                description: "A realistic path from the three operators' current formats.",
                weight: 3.0,
                scale: (1, 10),
                comment_required: false,
            },
            CriterionSpec {
                name: "Reference implementation and validator",
                description: "Working code for the read API and the validator.",
                weight: 1.0,
                scale: (1, 10),
                comment_required: false,
            },
        ],
        cards: &[
            CardSpec {
                judge: "marcus",
                entry: "parkspec",
                scores: &[8, 9, 8, 8],
                comments: &[
                    "A small, well-named model; reusing the opening-hours syntax is smart.",
                    "",
                    "Converters for all three operators make adoption realistic.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "marcus",
                entry: "curbledger",
                scores: &[7, 6, 8, 9],
                comments: &[
                    "Versioning is the real contribution: an inspector can replay any date.",
                    "GeoJSON patches are not GBFS; the mapping is promised, not shown.",
                ],
                submit: true,
            },
            CardSpec {
                judge: "ines",
                entry: "parkspec",
                scores: &[9, 9, 7, 8],
                comments: &["The clearest model of the three; the overrides of revision 2 handle market days neatly."],
                submit: true,
            },
            CardSpec {
                judge: "marcus",
                entry: "rider-first",
                scores: &[7, 8, 6, 2],
                comments: &[
                    "Grounded in interviews, and the vocabulary is excellent.",
                    "",
                    "",
                    "No reference implementation, which the brief asked for.",
                ],
                submit: true,
            },
            // Inês is still at work: a draft, and one entry not started.
            CardSpec {
                judge: "ines",
                entry: "curbledger",
                scores: &[8, 5],
                comments: &["A strong audit trail. Still reading the validator."],
                submit: false,
            },
        ],
        finish: Finish::Open,
    },
];

/// The titles of the challenges person `key` judges.
pub(super) fn panels_of(key: &str) -> Vec<&'static str> {
    JUDGING
        .iter()
        .filter(|j| j.judges.contains(&key))
        .filter_map(|j| CHALLENGES.iter().find(|c| c.slug == j.challenge))
        .map(|c| c.title)
        .collect()
}

/// How many progress steps [`prepare`] and [`run`] report.
pub(super) fn steps(j: &JudgingSpec) -> usize {
    let finish = match j.finish {
        Finish::Open => 0,
        Finish::Results { .. } => {
            2 + CHALLENGES
                .iter()
                .find(|c| c.slug == j.challenge)
                .map_or(0, |c| c.announcements.len())
        }
    };
    j.judges.len() + 2 + j.cards.len() + finish
}

/// A judge as the judging services see a signed-in person.
fn signed_in(user: crate::auth::store::User) -> AuthUser {
    AuthUser {
        user,
        session_id: String::new(),
    }
}

/// The organisation's owner, who runs the judging of `j`.
fn organiser(j: &JudgingSpec, people: &People) -> anyhow::Result<Principal> {
    let c = CHALLENGES
        .iter()
        .find(|c| c.slug == j.challenge)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "judging script names an unknown challenge {:?}",
                j.challenge
            )
        })?;
    let org = ORGS
        .iter()
        .find(|o| o.slug == c.org)
        .ok_or_else(|| anyhow::anyhow!("unknown organisation {:?}", c.org))?;
    Ok(as_user(&people.get(org.owner)?))
}

/// Before the deadline: the organisation invites the panel, each judge
/// accepts, and the organisation writes the round's rubric. Returns the
/// round's id.
pub(super) async fn prepare(
    state: &AppState,
    j: &JudgingSpec,
    people: &People,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<String> {
    let owner = organiser(j, people)?;
    let what = |doing: &str| format!("{doing} {}", j.challenge);
    for (i, key) in j.judges.iter().enumerate() {
        let person = people.get(key)?;
        clock.at(day(j.invited, 10) + Duration::minutes(10 * i as i64));
        let judge = panel::invite(state, &owner, j.challenge, &person.email)
            .await
            .map_err(|e| failed(&what(&format!("inviting {key} to judge")), e))?;
        clock.at(day(j.invited + 1 + i as i64, 9 + 2 * i as u32));
        panel::respond(
            state,
            &signed_in(person.clone()),
            Invitation::Id(judge.id),
            true,
        )
        .await
        .map_err(|e| failed(&what(&format!("{key} accepting to judge")), e))?;
        step(person.email.as_str());
    }
    clock.at(day(j.rubric, 14));
    let input = RoundInput {
        name: j.round.to_owned(),
        judges_per_entry: j.judges_per_entry,
        normalise: false,
        shortlist: None,
        criteria: j
            .criteria
            .iter()
            .map(|c| CriterionInput {
                name: c.name.to_owned(),
                description: c.description.to_owned(),
                weight: c.weight,
                scale_min: c.scale.0,
                scale_max: c.scale.1,
                comment_required: c.comment_required,
            })
            .collect(),
        judges: None,
    };
    let round = rounds::create(state, &owner, j.challenge, input)
        .await
        .map_err(|e| failed(&what("writing the rubric of"), e))?;
    step(j.round);
    Ok(round.id)
}

/// After the deadline: the round opens, judges score, and the story ends
/// with the round open or with published results.
pub(super) async fn run(
    state: &AppState,
    j: &JudgingSpec,
    round_id: &str,
    entries: &HashMap<&'static str, String>,
    people: &People,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<()> {
    let owner = organiser(j, people)?;
    let what = |doing: &str| format!("{doing} {}", j.challenge);

    clock.at(day(j.opened, 9));
    let (_, report) = rounds::open(state, &owner, round_id)
        .await
        .map_err(|e| failed(&what("opening the round of"), e))?;
    anyhow::ensure!(
        report.short.is_empty(),
        "{}: entries left without judges: {:?}",
        what("assigning"),
        report.short
    );
    step("round opened");

    let times = spread_daytime(j.cards.len(), day(j.opened, 12), day(j.scored_until, 21));
    for (card, t) in j.cards.iter().zip(times) {
        let judge = signed_in(people.get(card.judge)?);
        // What the judge's workspace shows: the rubric and their assignments.
        let (uid, rid) = (judge.user.id.clone(), round_id.to_owned());
        let view = state
            .db(move |c| crate::judging::queries::views::judge_round(c, &uid, &rid))
            .await
            .map_err(|e| failed(&what("reading the round of"), e))?;
        let entry = entries.get(card.entry).ok_or_else(|| {
            anyhow::anyhow!("judging script names an unknown entry {:?}", card.entry)
        })?;
        let assignment = view
            .entries
            .iter()
            .find(|e| &e.submission_id == entry)
            .and_then(|e| e.assignment_id.clone())
            .ok_or_else(|| anyhow::anyhow!("{} is not assigned {:?}", card.judge, card.entry))?;
        let scores: BTreeMap<String, i32> = view
            .criteria
            .iter()
            .zip(card.scores)
            .map(|(c, s)| (c.id.clone(), *s))
            .collect();
        let comments: BTreeMap<String, String> = view
            .criteria
            .iter()
            .zip(card.comments)
            .filter(|(_, text)| !text.is_empty())
            .map(|(c, text)| (c.id.clone(), (*text).to_owned()))
            .collect();
        clock.at(t);
        scoring::save(
            state,
            &judge,
            &assignment,
            ScorecardInput {
                scores,
                comments,
                submit: card.submit,
            },
        )
        .await
        .map_err(|e| {
            failed(
                &what(&format!("{} scoring {:?} in", card.judge, card.entry)),
                e,
            )
        })?;
        step("scorecard");
    }

    let Finish::Results {
        closed,
        published,
        tiers,
        show_scores,
    } = j.finish
    else {
        return Ok(());
    };
    clock.at(day(closed, 16));
    rounds::close(state, &owner, round_id)
        .await
        .map_err(|e| failed(&what("closing the round of"), e))?;
    step("round closed");

    // The organisation reads its leaderboard and maps it onto the tiers.
    clock.at(day(published, 11));
    let (caller, rid) = (owner.clone(), round_id.to_owned());
    let board = state
        .db(move |c| crate::judging::queries::leaderboard_for(c, &caller, &rid))
        .await
        .map_err(|e| failed(&what("reading the leaderboard of"), e))?;
    let decisions = tiers
        .iter()
        .enumerate()
        .map(|(i, place)| TierDecision {
            rank: i as i32 + 1,
            entries: place
                .and_then(|p| board.rows.get(p.saturating_sub(1)))
                .map(|row| vec![row.submission_id.clone()])
                .unwrap_or_default(),
        })
        .collect();
    results::publish(
        state,
        &owner,
        j.challenge,
        ResultsInput {
            tiers: decisions,
            show_scores,
        },
    )
    .await
    .map_err(|e| failed(&what("publishing the results of"), e))?;
    step("results published");

    // The winners' announcement, the next morning.
    let spec = CHALLENGES.iter().find(|c| c.slug == j.challenge);
    if let Some(spec) = spec.filter(|c| c.story == Story::Awarded) {
        for (i, a) in spec.announcements.iter().enumerate() {
            clock.at(day(published + 1, 10) + Duration::hours(i as i64));
            crate::challenges::service::announce(state, &owner, j.challenge, a.title, a.body)
                .await
                .map_err(|e| failed(&what("announcing on"), e))?;
            step(a.title);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::entries;
    use super::super::people::PEOPLE;
    use super::*;
    use crate::judging::model::{check_rubric, weighted_score, Criterion};

    fn rubric(j: &JudgingSpec) -> Vec<Criterion> {
        j.criteria
            .iter()
            .enumerate()
            .map(|(i, c)| Criterion {
                id: format!("c{i}"),
                name: c.name.into(),
                description: c.description.into(),
                weight: c.weight,
                scale_min: c.scale.0,
                scale_max: c.scale.1,
                comment_required: c.comment_required,
            })
            .collect()
    }

    #[test]
    fn every_judged_story_has_a_panel_of_outsiders_and_valid_cards() {
        for c in CHALLENGES
            .iter()
            .filter(|c| matches!(c.story, Story::Judging | Story::Awarded))
        {
            assert!(JUDGING.iter().any(|j| j.challenge == c.slug), "{}", c.slug);
        }
        for j in JUDGING {
            let c = CHALLENGES
                .iter()
                .find(|c| c.slug == j.challenge)
                .unwrap_or_else(|| panic!("no challenge {}", j.challenge));
            let org = ORGS.iter().find(|o| o.slug == c.org);
            let entrants: Vec<&str> = entries::of(c.slug)
                .flat_map(|e| std::iter::once(e.by).chain(e.team.iter().copied()))
                .collect();
            for k in j.judges {
                assert!(PEOPLE.iter().any(|p| p.key == *k), "{k}");
                // No organisation's people, so no automatic conflict.
                assert!(
                    !ORGS.iter().any(|o| o.owner == *k || o.admin == *k),
                    "{k} belongs to an organisation"
                );
                assert!(!c.registrants.contains(k) && !entrants.contains(k), "{k}");
            }
            assert!(org.is_some());
            // Every judge scores every entry: the cards name real pairs.
            assert_eq!(j.judges_per_entry as usize, j.judges.len(), "{}", c.slug);
            let criteria = rubric(j);
            assert!(check_rubric(&criteria).is_ok(), "{}", c.slug);
            let keys: Vec<&str> = entries::of(c.slug).map(|e| e.key).collect();
            let mut pairs = HashSet::new();
            for card in j.cards {
                assert!(j.judges.contains(&card.judge), "{}", card.judge);
                assert!(keys.contains(&card.entry), "{}", card.entry);
                assert!(
                    pairs.insert((card.judge, card.entry)),
                    "{} twice",
                    card.entry
                );
                assert!(card.scores.len() <= criteria.len());
                assert!(card.comments.len() <= criteria.len());
                for (cr, s) in criteria.iter().zip(card.scores) {
                    assert!((cr.scale_min..=cr.scale_max).contains(s), "{}", card.entry);
                }
                if card.submit {
                    assert_eq!(card.scores.len(), criteria.len(), "{}", card.entry);
                    for (i, cr) in criteria.iter().enumerate() {
                        let said = card.comments.get(i).is_some_and(|t| !t.is_empty());
                        assert!(!cr.comment_required || said, "{}", card.entry);
                    }
                }
            }
            // The story's order: panel and rubric while open, the round
            // after the deadline, results before the judging deadline.
            assert!(c.opens < j.invited, "{}", c.slug);
            assert!(
                j.invited + j.judges.len() as i64 + 1 < j.rubric,
                "{}",
                c.slug
            );
            assert!(j.rubric < c.deadline && c.deadline < j.opened, "{}", c.slug);
            assert!(
                j.opened < j.scored_until && j.scored_until < 0,
                "{}",
                c.slug
            );
            match j.finish {
                Finish::Open => {
                    assert_eq!(c.story, Story::Judging);
                    let submitted = j.cards.iter().filter(|c| c.submit).count();
                    assert!(submitted > 0 && submitted < j.cards.len(), "partly scored");
                    assert!(
                        j.cards.len() < keys.len() * j.judges.len(),
                        "some not started"
                    );
                }
                Finish::Results {
                    closed,
                    published,
                    tiers,
                    ..
                } => {
                    assert_eq!(c.story, Story::Awarded);
                    assert_eq!(
                        pairs.len(),
                        keys.len() * j.judges.len(),
                        "every pair scored"
                    );
                    assert!(j.cards.iter().all(|c| c.submit));
                    assert!(j.scored_until < closed && closed < published);
                    assert!(published <= c.judging, "{}", c.slug);
                    assert_eq!(tiers.len(), c.tiers.len());
                    assert!(tiers.contains(&None), "a tier withheld: a refund");
                    // The places given prizes are not ties.
                    let mut means: Vec<f64> = keys
                        .iter()
                        .map(|k| {
                            let totals: Vec<f64> = j
                                .cards
                                .iter()
                                .filter(|c| c.entry == *k)
                                .filter_map(|c| {
                                    let scores = criteria
                                        .iter()
                                        .zip(c.scores)
                                        .map(|(cr, s)| (cr.id.clone(), *s))
                                        .collect();
                                    weighted_score(&criteria, &scores)
                                })
                                .collect();
                            totals.iter().sum::<f64>() / totals.len() as f64
                        })
                        .collect();
                    means.sort_by(|a, b| b.total_cmp(a));
                    let last = tiers.iter().flatten().max().copied().unwrap_or(0);
                    assert!(means.windows(2).take(last).all(|w| w[0] - w[1] > 0.5));
                }
            }
        }
        assert_eq!(
            panels_of("ines"),
            vec!["An open data model for shared micromobility parking"]
        );
        assert!(panels_of("kofi").is_empty());
    }
}
