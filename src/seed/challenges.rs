//! The demo challenges: their script (eight stories across the life
//! cycle), and playing each story's setup — creation, funding,
//! publication, registrations, questions, announcements, a cancellation —
//! through the same services the API and the pages use. Entries and
//! judging are played by [`super::entries`] and [`super::judging`].

use chrono::Duration;

use super::organisations::ORGS;
use super::people::People;
use super::timeline::{daytime, spread_daytime, Clock, Dates};
use super::{as_user, day, failed, minor_units};
use crate::auth::store::User;
use crate::challenges::model::TierInput;
use crate::challenges::service::{self, ChallengeInput, Published};
use crate::state::AppState;

/// Where a challenge's story ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Story {
    Draft,
    Open,
    Closed,
    Judging,
    Awarded,
    Cancelled,
}

impl Story {
    /// Whether submissions have closed in this story (entries, then the
    /// clock closes it; judging may follow).
    pub(super) fn finished(self) -> bool {
        matches!(self, Story::Closed | Story::Judging | Story::Awarded)
    }
}

/// A question a solver asks the organisation.
pub(super) struct Question {
    pub(super) asker: &'static str,
    pub(super) body: &'static str,
    pub(super) public: bool,
    /// `None`: still waiting for the organisation.
    pub(super) answer: Option<&'static str>,
}

/// An announcement of the organisation to registered solvers.
pub(super) struct Announcement {
    pub(super) title: &'static str,
    pub(super) body: &'static str,
}

/// A demo challenge and its story.
pub(super) struct ChallengeSpec {
    pub(super) org: &'static str,
    pub(super) slug: &'static str,
    pub(super) title: &'static str,
    pub(super) summary: &'static str,
    pub(super) description: &'static str,
    pub(super) category: &'static str,
    pub(super) tags: &'static [&'static str],
    pub(super) kind: &'static str,
    pub(super) currency: &'static str,
    /// Label and amount in whole units of the currency (euros, pounds).
    pub(super) tiers: &'static [(&'static str, i64)],
    /// Days from today: when it opened (or opens, for the draft).
    pub(super) opens: i64,
    /// Days from today: the submission deadline and the end of judging as
    /// the story has them (in the past for finished challenges).
    pub(super) deadline: i64,
    pub(super) judging: i64,
    pub(super) eligibility: &'static str,
    pub(super) rules: &'static str,
    pub(super) licences: &'static [&'static str],
    pub(super) max_team: i32,
    pub(super) blind: bool,
    pub(super) story: Story,
    pub(super) registrants: &'static [&'static str],
    pub(super) questions: &'static [Question],
    pub(super) announcements: &'static [Announcement],
}

/// The rules every demo challenge shares.
const RULES_COMMON: &str = "\
## Rules

1. Register before you submit; by registering you accept this version of the rules.
2. Submit under one of the licences the challenge allows. You keep the copyright; the licence lets everyone build on your work.
3. Teams share the prize by the shares they declare, in percent, summing to 100 %.
4. The organisation may withhold a prize tier if no entry meets the judging criteria.
5. Entries must be your own work; cite everything you reuse.
";

/// The demo challenges, one story each.
pub(super) const CHALLENGES: &[ChallengeSpec] = &[
    ChallengeSpec {
        org: "aquacommons",
        slug: "arsenic-test-strips",
        title: "Arsenic test strips under €0.50 for rural wells",
        summary: "Design a paper-based test that tells a family whether their well water is above 10 µg/L of arsenic, for less than fifty cents, without a lab.",
        description: "\
Around 140 million people drink groundwater with more arsenic than the WHO guideline of **10 µg/L**. \
Field kits exist, but they cost several euros per test, use zinc powder and hydrochloric acid, and \
need a trained operator.

We are looking for a **paper-based or strip test** that a community health worker — or the family \
itself — can use at the well.

### What a winning entry shows
- Detection at or below 10 µg/L total arsenic (As III and As V) with fewer than 5 % false negatives
- A bill of materials under **€0.50 per test** at 100,000 units
- No reagents more hazardous than household vinegar
- A readout by eye (a phone camera may help, but must not be required)

### What you submit
A protocol, your validation data against a reference method (ICP-MS or AAS), photos of the \
prototype, and a costed bill of materials. Lab results from spiked samples are fine; field samples \
are better.

We will pilot the best designs with partner water committees in three districts.",
        category: "water",
        tags: &["arsenic", "groundwater", "diagnostics", "low-cost"],
        kind: "reduction_to_practice",
        currency: "EUR",
        tiers: &[("Winner", 15_000), ("Runner-up", 7000), ("Third place", 3000)],
        opens: -18,
        deadline: 45,
        judging: 80,
        eligibility: "Open to individuals and teams worldwide, including students and researchers. Staff of AquaCommons and their families may not enter.",
        rules: RULES_COMMON,
        licences: &["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0"],
        max_team: 5,
        blind: true,
        story: Story::Open,
        registrants: &["kofi", "maria", "chen", "anna"],
        questions: &[
            Question {
                asker: "kofi",
                body: "Must the strip tell arsenite (As III) and arsenate (As V) apart, or is a total-arsenic reading enough?",
                public: true,
                answer: Some("A total-arsenic reading is enough. The health threshold applies to the total, so the strip only needs to say whether the sum is above 10 µg/L. A pre-reduction step is fine if it stays within the cost and safety limits."),
            },
            Question {
                asker: "maria",
                body: "Can the result be read with a phone camera app, or does it have to be readable by eye?",
                public: true,
                answer: Some("It has to be readable by eye. An app that improves accuracy is welcome as an extra, but many households we work with share one basic phone, so the strip cannot depend on it."),
            },
        ],
        announcements: &[Announcement {
            title: "Field samples available to registered teams",
            body: "We have 60 characterised groundwater samples from our partner districts (arsenic from 2 to 180 µg/L, measured by ICP-MS). Registered teams can ask for a set of 10 through the Q&A; we ship them at our cost.",
        }],
    },
    ChallengeSpec {
        org: "aquacommons",
        slug: "handpump-failure-prediction",
        title: "Predicting handpump failures from usage data",
        summary: "Use two years of stroke-count data from 400 sensor-equipped handpumps to predict breakdowns a week ahead, so mechanics arrive before the queue does.",
        description: "\
A broken handpump means a longer walk to a less safe source. Today repairs start when someone \
reports the failure, and take **nine days** on average.

Since 2023 we have fitted 400 handpumps with low-cost accelerometers that report stroke counts \
over SMS. The data is attached to this challenge (see *Resources*):

- `pump_weekly_strokes.csv`: weekly stroke counts per pump over two years, with whether the pump \
failed within the next seven days (41,600 rows)
- `repair_log.csv`: repairs with the failure cause when known
- `pumps.csv`: pump model, depth and installation year

### The task
Predict, for every pump and every week, the probability that it fails within the next **7 days**. \
Entries are scored on a held-out period by the area under the precision–recall curve, and we look \
at how simple the model is to run on a Raspberry Pi at the district office.

Submit your code, a short report, and predictions for the test period.",
        category: "water",
        tags: &["machine-learning", "maintenance", "sensors", "open-data"],
        kind: "software",
        currency: "EUR",
        tiers: &[("Best model", 10_000), ("Runner-up", 5000)],
        opens: -6,
        deadline: 60,
        judging: 90,
        eligibility: "Open to everyone. Teams of up to four.",
        rules: RULES_COMMON,
        licences: &["MIT", "Apache-2.0"],
        max_team: 4,
        blind: false,
        story: Story::Open,
        registrants: &["chen", "ravi", "emma"],
        questions: &[
            Question {
                asker: "ravi",
                body: "Are the stroke counts timestamped in local time or in UTC, and are gaps in the SMS reports marked?",
                public: true,
                answer: Some("All timestamps are UTC. Hours with no report are absent rather than zero; a `gap` column in the daily summary file marks days with fewer than 20 reports."),
            },
            Question {
                asker: "chen",
                body: "Could we get the GPS positions of the pumps? Distance to the nearest road might predict repair delays.",
                public: false,
                answer: None,
            },
        ],
        announcements: &[],
    },
    ChallengeSpec {
        org: "aquacommons",
        slug: "rainwater-harvesting-kits",
        title: "Rainwater harvesting kits for informal settlements",
        summary: "A rainwater kit that a family can install on a tin roof in an afternoon, stores at least 500 litres, and keeps the water safe to drink.",
        description: "\
In dense informal settlements the roof is often the only catchment a family controls. Commercial \
tanks are expensive and hard to carry through narrow lanes.

We asked for **kit designs**: gutters, first-flush diverter, storage and tap, that

- install on a corrugated-iron roof in half a day with hand tools
- store at least **500 litres** in a footprint under 1 m²
- keep out mosquitoes and light
- cost under **€60** in local materials

Entries describe the kit, its bill of materials and how to install it; the strongest report on a \
prototype built on a real roof. A **community-choice** prize goes to a kit that a community group \
has built and used during the challenge.",
        category: "water",
        tags: &["rainwater", "housing", "hardware", "open-hardware"],
        kind: "design",
        currency: "EUR",
        tiers: &[("Winner", 8000), ("Runner-up", 4000), ("Community choice", 2000)],
        opens: -120,
        deadline: -60,
        judging: -20,
        eligibility: "Open to everyone; we especially welcome entries from people living in informal settlements.",
        rules: RULES_COMMON,
        licences: &["CC-BY-SA-4.0", "CERN-OHL-P-2.0"],
        max_team: 6,
        blind: true,
        story: Story::Awarded,
        registrants: &["maria", "fatima", "jules", "anna", "kofi", "emma", "ravi"],
        questions: &[Question {
            asker: "fatima",
            body: "Can designs assume corrugated-iron roofs only, or must they also work on tarpaulin and thatch?",
            public: true,
            answer: Some("Corrugated iron only. It is what 80 % of homes in our partner settlements have; other roofs would need a different challenge."),
        }],
        announcements: &[Announcement {
            title: "Winners announced",
            body: "Thank you to every team who entered. The judges' ranking, with their scores, and the winning kits under their open licences are now on the results page. The community-choice prize is withheld: it was meant for a kit built and used by a community group during the challenge, and none was, so its €2,000 went back to AquaCommons and will pay for pilot installations. Two of the designs will be built in 50 homes this rainy season.",
        }],
    },
    ChallengeSpec {
        org: "northbridge-mobility",
        slug: "safer-school-streets",
        title: "Safer school streets: the last 500 metres",
        summary: "Ideas that make the walk or ride to school safe and pleasant for children in the last 500 metres around Northbridge's primary schools.",
        description: "\
Three in four children in Northbridge live less than two kilometres from their school, yet half of \
them arrive by car, and the school gate at 8:25 is the most dangerous place in the neighbourhood.

The **Northbridge City Mobility Lab** is looking for ideas — physical, organisational or \
digital — for the last 500 metres around our 24 primary schools.

### Good ideas are
- **cheap to trial**: we can test five of them for a term, at under €15,000 each
- **measurable**: what would we count to know it works?
- **fair**: they work for children with disabilities and for parents who must drive

Winning ideas will be trialled at two pilot schools next term, with their authors invited to the \
design sessions.",
        category: "social",
        tags: &["road-safety", "children", "walking", "cycling"],
        kind: "ideation",
        currency: "EUR",
        tiers: &[("Winner", 6000), ("Runner-up", 3000), ("Young innovator (under 18)", 1000)],
        opens: -10,
        deadline: 30,
        judging: 50,
        eligibility: "Open to everyone. Entrants under 18 need a parent's or teacher's consent.",
        rules: RULES_COMMON,
        licences: &["CC-BY-4.0", "CC0-1.0"],
        max_team: 8,
        blind: false,
        story: Story::Open,
        registrants: &["jules", "emma", "kofi", "fatima"],
        questions: &[
            Question {
                asker: "jules",
                body: "Are ideas that need a change to traffic regulations in scope, or only physical and organisational measures?",
                public: true,
                answer: Some("Both are in scope. The city can make temporary traffic orders for a trial (for example, closing a street at drop-off times), so say which rule would change and for how long."),
            },
            Question {
                asker: "emma",
                body: "Will you share the school catchment maps and the counts from last year's travel survey?",
                public: true,
                answer: Some("Yes: both are now in the challenge's resources, under the Open Government Licence. The survey covers 9,800 pupils; counts are per school and per mode."),
            },
        ],
        announcements: &[Announcement {
            title: "Walking audit on Saturday",
            body: "Join us for a walking audit around Millbrook Primary on Saturday at 10:00. Bring your ideas and your questions; children are very welcome. Meet at the main gate.",
        }],
    },
    ChallengeSpec {
        org: "northbridge-mobility",
        slug: "micromobility-parking-data",
        title: "An open data model for shared micromobility parking",
        summary: "Propose an open data model and reference API that lets the city, operators and riders agree on where shared bikes and scooters may be parked.",
        description: "\
Northbridge licenses three operators of shared bikes and e-scooters. Each has its own idea of \
where parking is allowed, and riders get fined for following their app.

We asked for an **open data model** for parking areas, with

- geometry, capacity and vehicle types per area
- time-dependent rules (market days, events)
- a reference implementation of a small read API and a validator
- a migration path from the operators' current formats

Entries are judged on clarity, compatibility with existing standards, and how easily the three \
operators could adopt them.",
        category: "technology",
        tags: &["open-data", "mobility", "api", "standards"],
        kind: "software",
        currency: "EUR",
        tiers: &[("Winner", 12_000), ("Runner-up", 6000)],
        opens: -75,
        deadline: -12,
        judging: 18,
        eligibility: "Open to everyone. Employees of the licensed operators may enter but not win prize money.",
        rules: RULES_COMMON,
        licences: &["Apache-2.0", "MIT", "CC-BY-4.0"],
        max_team: 5,
        blind: false,
        story: Story::Judging,
        registrants: &["chen", "ravi", "anna", "emma"],
        questions: &[Question {
            asker: "anna",
            body: "Should the model align with the Mobility Data Specification, with GBFS, or with neither?",
            public: true,
            answer: Some("Align with GBFS where it already covers the concept (geofencing zones, vehicle types) and explain anything you add. MDS is used by one operator only, so it is a nice-to-have."),
        }],
        announcements: &[],
    },
    ChallengeSpec {
        org: "northbridge-mobility",
        slug: "cargo-bike-old-town",
        title: "Cargo-bike logistics for the old town",
        summary: "How could deliveries to the shops and homes of Northbridge's car-free old town move from vans to cargo bikes, without raising costs for small shops?",
        description: "\
From next year only emergency vehicles and residents' cars may enter the old town. Around 400 \
van deliveries a day need another way in.

We are preparing a challenge on **micro-hubs and cargo-bike logistics**: where hubs could go, who \
runs them, how parcels are consolidated, and what it costs a small shop.

*This challenge is being prepared and is not open yet.*",
        category: "environment",
        tags: &["logistics", "cargo-bikes", "city-centre"],
        kind: "ideation",
        currency: "EUR",
        tiers: &[("Winner", 9000), ("Runner-up", 3000)],
        opens: 14,
        deadline: 75,
        judging: 105,
        eligibility: "Open to everyone.",
        rules: RULES_COMMON,
        licences: &["CC-BY-4.0"],
        max_team: 5,
        blind: false,
        story: Story::Draft,
        registrants: &[],
        questions: &[],
        announcements: &[],
    },
    ChallengeSpec {
        org: "eastmoor-open-science",
        slug: "soil-carbon-replication",
        title: "Reproduce a landmark soil-carbon study",
        summary: "Reproduce the headline result of a much-cited 2009 study on soil carbon under no-till farming, from its published data, and report what holds.",
        description: "\
A 2009 meta-analysis concluded that no-till farming stores **0.4 t of carbon per hectare per \
year** more than ploughing. The figure is cited in policy documents across Europe. Its data were \
published; its code was not.

The **Eastmoor Open Science Collective** invites you to reproduce the analysis:

1. Rebuild the dataset from the supplementary tables
2. Re-run the analysis as described in the methods
3. Report which results you reproduce, which you don't, and why

We care about **transparency over agreement**: a careful report that fails to reproduce the \
result is as valuable as one that succeeds. All entries will be published as a collection.",
        category: "science",
        tags: &["reproducibility", "soil", "climate", "meta-analysis"],
        kind: "theoretical",
        currency: "GBP",
        tiers: &[("Most thorough reproduction", 5000), ("Runner-up", 2500)],
        opens: -40,
        deadline: -2,
        judging: 28,
        eligibility: "Open to everyone, including the authors of the original study.",
        rules: RULES_COMMON,
        licences: &["CC-BY-4.0", "CC0-1.0", "MIT"],
        max_team: 3,
        blind: true,
        story: Story::Closed,
        registrants: &["anna", "emma", "ravi", "maria"],
        questions: &[Question {
            asker: "emma",
            body: "May we use a different statistical package from the original authors, as long as we explain the differences?",
            public: true,
            answer: Some("Yes. Say which package and version you used, and if the methods section is ambiguous, show how each reading changes the result."),
        }],
        announcements: &[],
    },
    ChallengeSpec {
        org: "eastmoor-open-science",
        slug: "urban-bird-count-app",
        title: "A citizen-science app for urban bird counts",
        summary: "An offline-first app for volunteers to record standardised bird counts in city parks, with data that scientists can trust and reuse.",
        description: "\
Eastmoor's volunteers count birds in 30 city parks every month, on paper. We wanted an \
**offline-first app** that guides a standard point count, records species with confidence levels, \
and exports Darwin Core data.

*This challenge was cancelled: see the announcement.*",
        category: "environment",
        tags: &["citizen-science", "biodiversity", "mobile"],
        kind: "software",
        currency: "GBP",
        tiers: &[("Winner", 7500)],
        opens: -25,
        deadline: 50,
        judging: 80,
        eligibility: "Open to everyone.",
        rules: RULES_COMMON,
        licences: &["GPL-3.0-or-later", "MIT"],
        max_team: 4,
        blind: false,
        story: Story::Cancelled,
        registrants: &["kofi", "maria"],
        questions: &[],
        announcements: &[Announcement {
            title: "Why we are cancelling this challenge",
            body: "A national app that does what we asked for was released last month under an open licence, and our volunteers have started using it. Rather than ask you to rebuild it, we are cancelling this challenge; the prize money goes back to the collective and will fund a data-quality challenge later this year. Thank you to everyone who registered.",
        }],
    },
];

/// When a cancelled story was cancelled.
fn cancelled_at() -> chrono::NaiveDateTime {
    day(-3, 11)
}

/// Plays the setup of one challenge's story through the services, each step
/// at its time in the story (a draft keeps its real times). Finished
/// stories are played with future deadlines; `super::timeline` moves them
/// back once their entries are in.
pub(super) async fn play(
    state: &AppState,
    spec: &ChallengeSpec,
    admin: &User,
    people: &People,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<()> {
    let org = ORGS.iter().find(|o| o.slug == spec.org).ok_or_else(|| {
        anyhow::anyhow!("demo script names an unknown organisation {:?}", spec.org)
    })?;
    let owner = as_user(&people.get(org.owner)?);
    let colleague = as_user(&people.get(org.admin)?);
    let what = |doing: &str| format!("{doing} {}", spec.slug);
    let d = Dates::of(spec);

    // Finished stories need future dates to be published; they move back later.
    let (deadline, judging) = if spec.story.finished() {
        (30, 60)
    } else {
        (spec.deadline, spec.judging)
    };
    let input = ChallengeInput {
        org: Some(spec.org.to_owned()),
        title: Some(spec.title.to_owned()),
        slug: Some(spec.slug.to_owned()),
        summary: Some(spec.summary.to_owned()),
        description: Some(spec.description.to_owned()),
        category: Some(spec.category.to_owned()),
        tags: Some(spec.tags.iter().map(|t| (*t).to_owned()).collect()),
        kind: Some(spec.kind.to_owned()),
        currency: Some(spec.currency.to_owned()),
        prize_tiers: Some(
            spec.tiers
                .iter()
                .enumerate()
                .map(|(i, (label, amount))| TierInput {
                    rank: i as i32 + 1,
                    label: (*label).to_owned(),
                    amount: minor_units(spec.currency, *amount),
                })
                .collect(),
        ),
        visibility: Some("public".to_owned()),
        opens_at: Some(d.opened.and_utc()),
        submission_deadline: Some(day(deadline, 17).and_utc()),
        judging_deadline: Some(day(judging, 17).and_utc()),
        eligibility: Some(spec.eligibility.to_owned()),
        rules: Some(spec.rules.to_owned()),
        allowed_licences: Some(spec.licences.iter().map(|l| (*l).to_owned()).collect()),
        max_submissions_per_solver: Some(1),
        max_team_size: Some(spec.max_team),
        blind_judging: Some(spec.blind),
        ..ChallengeInput::default()
    };
    if spec.story == Story::Draft {
        // A draft is being prepared now: its times are the real ones.
        clock.real();
    } else {
        clock.at(d.opened - Duration::days(3));
    }
    let ch = service::create(state, &owner, spec.org, input)
        .await
        .map_err(|e| failed(&what("creating"), e))?;
    step(spec.title);

    // Funding: the organisation asks, the platform admin records the transfer.
    if spec.story != Story::Draft {
        clock.at(d.opened - Duration::days(2));
    }
    let funding = service::request_funding(state, &owner, &ch.id)
        .await
        .map_err(|e| failed(&what("asking to fund"), e))?;
    step("funding requested");
    if spec.story == Story::Draft {
        // Left for the admin's funding queue.
        return Ok(());
    }
    clock.at(d.opened - Duration::days(1));
    let reference = format!("DEMO-{}", spec.slug.to_uppercase());
    service::confirm_funding(state, &admin.id, &funding.id, &reference)
        .await
        .map_err(|e| failed(&what("confirming funding of"), e))?;
    step("funding confirmed");
    clock.at(d.opened);
    let (_, outcome) = service::publish(state, &owner, &ch.id)
        .await
        .map_err(|e| failed(&what("publishing"), e))?;
    if outcome == Published::AwaitingReview {
        // The platform reviews challenges first: the demo admin approves.
        service::review_decision(
            state,
            &admin.id,
            &ch.id,
            true,
            Some("Demo data.".to_owned()),
            None,
        )
        .await
        .map_err(|e| failed(&what("approving"), e))?;
    }
    step("published");
    if super::files::attach(state, &owner, spec.slug)
        .await
        .map_err(|e| failed(&what("attaching the files of"), e))?
        > 0
    {
        step("data files attached");
    }

    // Registrations in the first half of the open period, questions after.
    let registered = spread_daytime(spec.registrants.len(), d.opened, d.middle);
    for (key, t) in spec.registrants.iter().zip(registered) {
        let solver = people.get(key)?;
        clock.at(t);
        service::register(state, &solver.id, &ch.id, ch.rules_version)
            .await
            .map_err(|e| failed(&what(&format!("registering {key} for")), e))?;
        step(solver.email.as_str());
    }
    let asked_at = spread_daytime(spec.questions.len(), d.middle, d.active_until);
    for ((i, q), t) in spec.questions.iter().enumerate().zip(asked_at) {
        let asker = people.get(q.asker)?;
        clock.at(t);
        let asked = service::ask(state, &asker.id, &ch.id, q.body, q.public)
            .await
            .map_err(|e| failed(&what("asking about"), e))?;
        step("question");
        if let Some(answer) = q.answer {
            // Owner and colleague take turns answering, the next day.
            let by = if i % 2 == 0 { &colleague } else { &owner };
            clock.at(daytime(t + Duration::hours(20)));
            service::answer(state, by, &asked.id, answer)
                .await
                .map_err(|e| failed(&what("answering about"), e))?;
            step("answer");
        }
    }
    // An awarded story's announcements are about its winners: the judging
    // script posts them after the results.
    if spec.story != Story::Awarded {
        for a in spec.announcements {
            clock.at(match spec.story {
                Story::Cancelled => cancelled_at() - Duration::hours(1),
                _ => daytime(d.middle),
            });
            service::announce(state, &owner, &ch.id, a.title, a.body)
                .await
                .map_err(|e| failed(&what("announcing on"), e))?;
            step(a.title);
        }
    }
    if spec.story == Story::Cancelled {
        clock.at(cancelled_at());
        let reason = "A national app released under an open licence now does what this challenge asked for. The prize money goes back to the collective and will fund a data-quality challenge later this year.";
        service::cancel(state, &owner, &ch.id, reason)
            .await
            .map_err(|e| failed(&what("cancelling"), e))?;
        step("cancelled, escrow refunded");
    }
    Ok(())
}
