//! Demo data (`tribu seed --demo`, `tribu serve --demo`): a small, believable
//! community built through the same services the API and the pages use, so
//! escrow, audit log, outbox and search index are exactly what real use
//! would leave behind.
//!
//! Three organisations (a water NGO, a city's mobility lab, a university
//! open-science group) run eight challenges across the life cycle: three
//! open with funded escrow, a draft with a funding request waiting for the
//! admin, one closed, one in judging, one awarded, one cancelled with its
//! escrow refunded. Eight solvers register, ask questions that the
//! organisations answer in public, and receive announcements.
//!
//! The services refuse deadlines in the past, so closed, judging and
//! awarded challenges are created with future dates, published and moved
//! through the state machine (the audit log records each transition); only
//! then are their dates — and those of their registrations, questions and
//! announcements — moved back to where that story would have put them.
//!
//! Seeding is idempotent: when the demo admin or a demo organisation exists
//! it changes nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::principal::{AuthUser, Principal};
use crate::auth::store::{self as users, NewUser, User};
use crate::challenges::model::{Event, TierInput};
use crate::challenges::service::{self, ChallengeInput, Published};
use crate::challenges::store as challenges;
use crate::db::schema;
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::orgs::model::Role;
use crate::orgs::store as orgs;
use crate::state::AppState;

/// The password of every demo account (printed by the CLI).
pub const DEMO_PASSWORD: &str = "tribu-demo-2026";

/// The demo platform admin.
pub const DEMO_ADMIN_EMAIL: &str = "admin@tribu.example";

const DEMO_ADMIN_NAME: &str = "Tribu Admin";

/// A demo account as the CLI lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub email: String,
    pub name: String,
    /// What the account is for, e.g. "owner of AquaCommons" or "solver".
    pub role: String,
}

/// What a demo seed created.
#[derive(Debug, Clone)]
pub struct Report {
    pub admin_email: String,
    pub password: String,
    /// Every demo account but the admin, organisation people first.
    pub accounts: Vec<Account>,
    pub orgs: usize,
    pub challenges: usize,
}

/// What [`demo`] did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The data was created.
    Seeded(Report),
    /// Demo data was already there; nothing changed.
    AlreadyPresent,
}

// ---- the script ----

struct Person {
    key: &'static str,
    email: &'static str,
    name: &'static str,
    language: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        key: "amina",
        email: "amina.diallo@aquacommons.example",
        name: "Amina Diallo",
        language: "en",
    },
    Person {
        key: "tomas",
        email: "tomas.berg@aquacommons.example",
        name: "Tomás Berg",
        language: "en",
    },
    Person {
        key: "lea",
        email: "lea.moreau@northbridge-mobility.example",
        name: "Léa Moreau",
        language: "fr",
    },
    Person {
        key: "sam",
        email: "sam.okoro@northbridge-mobility.example",
        name: "Sam Okoro",
        language: "en",
    },
    Person {
        key: "priya",
        email: "priya.raman@eastmoor-open-science.example",
        name: "Dr Priya Raman",
        language: "en",
    },
    Person {
        key: "jonah",
        email: "jonah.whitfield@eastmoor-open-science.example",
        name: "Jonah Whitfield",
        language: "en",
    },
    Person {
        key: "kofi",
        email: "kofi.mensah@example.net",
        name: "Kofi Mensah",
        language: "en",
    },
    Person {
        key: "maria",
        email: "maria.gonzalez@example.net",
        name: "María González",
        language: "en",
    },
    Person {
        key: "chen",
        email: "chen.wei@example.net",
        name: "Chen Wei",
        language: "en",
    },
    Person {
        key: "anna",
        email: "anna.kowalska@example.net",
        name: "Anna Kowalska",
        language: "en",
    },
    Person {
        key: "ravi",
        email: "ravi.patel@example.net",
        name: "Ravi Patel",
        language: "en",
    },
    Person {
        key: "fatima",
        email: "fatima.elamrani@example.net",
        name: "Fatima Zahra El Amrani",
        language: "en",
    },
    Person {
        key: "jules",
        email: "jules.martin@example.net",
        name: "Jules Martin",
        language: "fr",
    },
    Person {
        key: "emma",
        email: "emma.lindqvist@example.net",
        name: "Emma Lindqvist",
        language: "en",
    },
];

struct OrgSpec {
    slug: &'static str,
    name: &'static str,
    owner: &'static str,
    /// A second person, made an admin (they answer questions too).
    admin: &'static str,
}

const ORGS: &[OrgSpec] = &[
    OrgSpec {
        slug: "aquacommons",
        name: "AquaCommons",
        owner: "amina",
        admin: "tomas",
    },
    OrgSpec {
        slug: "northbridge-mobility",
        name: "Northbridge City Mobility Lab",
        owner: "lea",
        admin: "sam",
    },
    OrgSpec {
        slug: "eastmoor-open-science",
        name: "Eastmoor University Open Science Collective",
        owner: "priya",
        admin: "jonah",
    },
];

/// Where a challenge's story ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Story {
    Draft,
    Open,
    Closed,
    Judging,
    Awarded,
    Cancelled,
}

impl Story {
    /// The transitions after publishing, in order.
    fn events(self) -> &'static [Event] {
        match self {
            Story::Draft | Story::Open | Story::Cancelled => &[],
            Story::Closed => &[Event::Close],
            Story::Judging => &[Event::Close, Event::StartJudging],
            Story::Awarded => &[Event::Close, Event::StartJudging, Event::Award],
        }
    }
}

struct Question {
    asker: &'static str,
    body: &'static str,
    public: bool,
    /// `None`: still waiting for the organisation.
    answer: Option<&'static str>,
}

struct Announcement {
    title: &'static str,
    body: &'static str,
}

struct ChallengeSpec {
    org: &'static str,
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    description: &'static str,
    category: &'static str,
    tags: &'static [&'static str],
    kind: &'static str,
    currency: &'static str,
    /// Label and amount in whole units of the currency (euros, pounds).
    tiers: &'static [(&'static str, i64)],
    /// Days from today: when it opened (or opens, for the draft).
    opens: i64,
    /// Days from today: the submission deadline and the end of judging as
    /// the story has them (in the past for finished challenges).
    deadline: i64,
    judging: i64,
    eligibility: &'static str,
    rules: &'static str,
    licences: &'static [&'static str],
    max_team: i32,
    blind: bool,
    story: Story,
    registrants: &'static [&'static str],
    questions: &'static [Question],
    announcements: &'static [Announcement],
}

const RULES_COMMON: &str = "\
## Rules

1. Register before you submit; by registering you accept this version of the rules.
2. Submit under one of the licences the challenge allows. You keep the copyright; the licence lets everyone build on your work.
3. Teams share the prize by the shares they declare (in basis points, summing to 10,000).
4. The organisation may withhold a prize tier if no entry meets the judging criteria.
5. Entries must be your own work; cite everything you reuse.
";

const CHALLENGES: &[ChallengeSpec] = &[
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

Since 2023 we have fitted 400 handpumps with low-cost accelerometers that report hourly stroke \
counts over SMS. We will share:

- hourly stroke counts per pump (about 7 million rows)
- maintenance logs with the failure cause when known
- pump model, depth and installation year

### The task
Predict, for every pump and every day, the probability that it fails within the next **7 days**. \
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

Entries included drawings, a bill of materials and, where possible, photos of a built prototype.",
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
        registrants: &["maria", "fatima", "jules", "anna"],
        questions: &[Question {
            asker: "fatima",
            body: "Can designs assume corrugated-iron roofs only, or must they also work on tarpaulin and thatch?",
            public: true,
            answer: Some("Corrugated iron only. It is what 80 % of homes in our partner settlements have; other roofs would need a different challenge."),
        }],
        announcements: &[Announcement {
            title: "Winners announced",
            body: "Thank you to the 31 teams who entered. The judges' ranking and the winning kits, with their drawings under CC-BY-SA, are now on the results page. Two of the designs will be built in 50 homes this rainy season.",
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
        registrants: &["chen", "ravi", "anna"],
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
        registrants: &["anna", "emma", "ravi"],
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

// ---- helpers ----

/// Midnight UTC today plus `days`, at `hour`:00.
fn day(days: i64, hour: u32) -> NaiveDateTime {
    let midnight = now().date().and_hms_opt(0, 0, 0).unwrap_or_else(now);
    midnight + Duration::days(days) + Duration::hours(i64::from(hour))
}

/// Whole units of `currency` in minor units (EUR 25 → 2500).
fn minor_units(currency: &str, whole: i64) -> i64 {
    let digits = crate::money::model::Currency::parse("currency", currency)
        .map(|c| c.minor_units())
        .unwrap_or(2);
    whole * 10i64.pow(digits)
}

/// An error with what was being done and, for validation, which fields.
fn failed(what: &str, e: AppError) -> anyhow::Error {
    match &e {
        AppError::Validation(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            anyhow::anyhow!("{what}: {}", fields.join("; "))
        }
        _ => anyhow::anyhow!("{what}: {e}"),
    }
}

/// A caller acting as `user` (services take the same principal as requests).
fn as_user(user: &User) -> Principal {
    Principal::User(AuthUser {
        user: user.clone(),
        session_id: String::new(),
    })
}

/// Whether the database has any account (`serve --demo` seeds only when not).
pub fn has_users(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = schema::users::table.count().get_result(conn)?;
    Ok(n > 0)
}

/// Whether demo data is there already: the demo admin or a demo organisation.
pub fn already_present(conn: &mut DbConnection) -> QueryResult<bool> {
    if users::find_user_by_email(conn, DEMO_ADMIN_EMAIL)?.is_some() {
        return Ok(true);
    }
    for o in ORGS {
        if orgs::find_by_slug(conn, o.slug)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How many steps [`demo`] reports, for a progress bar.
pub fn total_steps() -> u64 {
    let mut n = 1 + PEOPLE.len() + ORGS.len() * 2;
    for c in CHALLENGES {
        // create, ask for funding; then confirm and publish unless a draft
        n += 2;
        if c.story != Story::Draft {
            n += 2;
        }
        n += c.registrants.len();
        n += c
            .questions
            .iter()
            .map(|q| 1 + usize::from(q.answer.is_some()))
            .sum::<usize>();
        n += c.announcements.len();
        n += c.story.events().len();
        if c.story == Story::Cancelled {
            n += 1;
        }
    }
    // moving finished stories back in time
    (n + 1) as u64
}

// ---- the seed ----

/// Seeds the demo community unless it is there already. `step` is called
/// once per created thing with a short description (for a progress bar).
pub async fn demo(state: &AppState, step: &(dyn Fn(&str) + Sync)) -> anyhow::Result<Outcome> {
    if state
        .db(|c| Ok(already_present(c)?))
        .await
        .map_err(|e| failed("checking for demo data", e))?
    {
        return Ok(Outcome::AlreadyPresent);
    }

    // The platform admin, through the same path as `tribu admin create`.
    let admin = state
        .db(|c| {
            crate::auth::service::create_admin(
                c,
                DEMO_ADMIN_EMAIL,
                DEMO_ADMIN_NAME,
                Some(DEMO_PASSWORD),
            )
        })
        .await
        .map_err(|e| failed("creating the demo admin", e))?
        .0;
    step(DEMO_ADMIN_EMAIL);

    // Everyone else: verified accounts sharing one password (hashed once).
    let hash = state
        .cpu(|| crate::auth::crypto::hash_password(DEMO_PASSWORD))
        .await
        .map_err(|e| failed("hashing the demo password", e))?
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let mut people: Vec<(&'static str, User)> = Vec::new();
    for p in PEOPLE {
        let hash = hash.clone();
        let user = state
            .tx(move |c| {
                users::create_user(
                    c,
                    NewUser {
                        email: p.email,
                        display_name: p.name,
                        password_hash: &hash,
                        language: p.language,
                        verified: true,
                        platform_admin: false,
                    },
                    now(),
                )
            })
            .await
            .map_err(|e| failed(&format!("creating {}", p.email), e))?;
        people.push((p.key, user));
        step(p.email);
    }
    let user = |key: &str| -> anyhow::Result<User> {
        people
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, u)| u.clone())
            .ok_or_else(|| anyhow::anyhow!("no demo person {key:?}"))
    };

    // Organisations: the owner creates it, then adds a colleague as admin.
    let mut accounts = Vec::new();
    for o in ORGS {
        let owner = user(o.owner)?;
        let auth = AuthUser {
            user: owner.clone(),
            session_id: String::new(),
        };
        let org = crate::orgs::service::create(state, &auth, o.slug, o.name)
            .await
            .map_err(|e| failed(&format!("creating {}", o.slug), e))?;
        step(o.name);
        let colleague = user(o.admin)?;
        let (org_id, colleague_id, owner_id) =
            (org.id.clone(), colleague.id.clone(), owner.id.clone());
        state
            .tx(move |c| {
                orgs::add_member(c, &org_id, &colleague_id, Role::Admin, now())?;
                crate::audit::record(
                    c,
                    crate::audit::Entry {
                        actor: &crate::audit::Actor::user(&owner_id),
                        org_id: Some(&org_id),
                        action: "member.added",
                        subject_type: "user",
                        subject_id: &colleague_id,
                        data: serde_json::json!({ "role": "admin", "via": "demo seed" }),
                    },
                )?;
                Ok(())
            })
            .await
            .map_err(|e| failed(&format!("adding a member to {}", o.slug), e))?;
        step(colleague.email.as_str());
        accounts.push(Account {
            email: owner.email.clone(),
            name: owner.display_name.clone(),
            role: format!("owner of {}", o.name),
        });
        accounts.push(Account {
            email: colleague.email.clone(),
            name: colleague.display_name.clone(),
            role: format!("admin of {}", o.name),
        });
    }
    for p in PEOPLE
        .iter()
        .filter(|p| !ORGS.iter().any(|o| o.owner == p.key || o.admin == p.key))
    {
        accounts.push(Account {
            email: p.email.to_owned(),
            name: p.name.to_owned(),
            role: "solver".to_owned(),
        });
    }

    for spec in CHALLENGES {
        play(state, spec, &admin, &user, step).await?;
    }

    // Put finished stories where they belong in time.
    state
        .tx(|c| {
            for spec in CHALLENGES {
                backdate(c, spec)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| failed("setting the demo timeline", e))?;
    step("timeline");

    Ok(Outcome::Seeded(Report {
        admin_email: DEMO_ADMIN_EMAIL.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        accounts,
        orgs: ORGS.len(),
        challenges: CHALLENGES.len(),
    }))
}

/// Plays one challenge's story through the services.
async fn play(
    state: &AppState,
    spec: &ChallengeSpec,
    admin: &User,
    user: &dyn Fn(&str) -> anyhow::Result<User>,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<()> {
    let org = ORGS.iter().find(|o| o.slug == spec.org).ok_or_else(|| {
        anyhow::anyhow!("demo script names an unknown organisation {:?}", spec.org)
    })?;
    let owner = as_user(&user(org.owner)?);
    let colleague = as_user(&user(org.admin)?);
    let what = |doing: &str| format!("{doing} {}", spec.slug);

    // Finished stories need future dates to be published; they move back later.
    let (deadline, judging) = if spec.deadline > 0 {
        (spec.deadline, spec.judging)
    } else {
        (30, 60)
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
        opens_at: Some(day(spec.opens, 9).and_utc()),
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
    let ch = service::create(state, &owner, spec.org, input)
        .await
        .map_err(|e| failed(&what("creating"), e))?;
    step(spec.title);

    // Funding: the organisation asks, the platform admin records the transfer.
    let funding = service::request_funding(state, &owner, &ch.id)
        .await
        .map_err(|e| failed(&what("asking to fund"), e))?;
    step("funding requested");
    if spec.story == Story::Draft {
        // Left for the admin's funding queue.
        return Ok(());
    }
    let reference = format!("DEMO-{}", spec.slug.to_uppercase());
    service::confirm_funding(state, &admin.id, &funding.id, &reference)
        .await
        .map_err(|e| failed(&what("confirming funding of"), e))?;
    step("funding confirmed");
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

    for key in spec.registrants {
        let solver = user(key)?;
        service::register(state, &solver.id, &ch.id, ch.rules_version)
            .await
            .map_err(|e| failed(&what(&format!("registering {key} for")), e))?;
        step(solver.email.as_str());
    }
    for (i, q) in spec.questions.iter().enumerate() {
        let asker = user(q.asker)?;
        let asked = service::ask(state, &asker.id, &ch.id, q.body, q.public)
            .await
            .map_err(|e| failed(&what("asking about"), e))?;
        step("question");
        if let Some(answer) = q.answer {
            // Owner and colleague take turns answering.
            let by = if i % 2 == 0 { &colleague } else { &owner };
            service::answer(state, by, &asked.id, answer)
                .await
                .map_err(|e| failed(&what("answering about"), e))?;
            step("answer");
        }
    }
    for a in spec.announcements {
        service::announce(state, &owner, &ch.id, a.title, a.body)
            .await
            .map_err(|e| failed(&what("announcing on"), e))?;
        step(a.title);
    }

    // The rest of the story: the clock closes it, the organisation judges and awards.
    for event in spec.story.events() {
        let (id, owner_id, event) = (ch.id.clone(), user(org.owner)?.id, *event);
        state
            .tx(move |c| {
                let current = challenges::find(c, &id)?;
                let actor = match event {
                    Event::Close => crate::audit::Actor::default(),
                    _ => crate::audit::Actor::user(&owner_id),
                };
                service::apply(c, &actor, &current, event, now())?;
                Ok(())
            })
            .await
            .map_err(|e| failed(&what(&format!("{event:?} on")), e))?;
        step(&format!("{event:?}"));
    }
    if spec.story == Story::Cancelled {
        service::cancel(state, &owner, &ch.id)
            .await
            .map_err(|e| failed(&what("cancelling"), e))?;
        step("cancelled, escrow refunded");
    }
    Ok(())
}

/// `n` instants spread evenly inside `[from, to]`, in order.
fn spread(n: usize, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
    let span = (to - from).num_seconds().max(0);
    (1..=n as i64)
        .map(|i| from + Duration::seconds(span * i / (n as i64 + 1)))
        .collect()
}

/// Moves a played challenge's dates to where its story puts them: opened
/// `opens` days ago, deadlines as scripted, and its registrations,
/// questions and announcements spread over the time it was open. Drafts and
/// the audit log keep their real times.
fn backdate(conn: &mut DbConnection, spec: &ChallengeSpec) -> Result<(), AppError> {
    use schema::{announcements, challenges as ch, questions, registrations};
    if spec.story == Story::Draft {
        return Ok(());
    }
    let Some(c) = challenges::find_by_key(conn, spec.slug)? else {
        return Ok(());
    };
    let today = now();
    let opened = day(spec.opens, 9);
    let deadline = day(spec.deadline, 17);
    let judging = day(spec.judging, 17);
    // Activity happens while submissions are open (and before now).
    let active_until = deadline.min(today - Duration::hours(1));
    let updated = match spec.story {
        Story::Closed => deadline,
        Story::Judging => deadline + Duration::days(1),
        Story::Awarded => judging,
        Story::Cancelled => c.updated_at,
        Story::Draft | Story::Open => opened,
    };
    diesel::update(ch::table.find(&c.id))
        .set((
            ch::created_at.eq(opened - Duration::days(3)),
            ch::published_at.eq(Some(opened)),
            ch::opens_at.eq(Some(opened)),
            ch::submission_deadline.eq(deadline),
            ch::judging_deadline.eq(judging),
            ch::updated_at.eq(updated),
        ))
        .execute(conn)?;

    // Registrations in the first half of the open period, questions after.
    let middle = opened + (active_until - opened) / 2;
    let regs: Vec<String> = registrations::table
        .filter(registrations::challenge_id.eq(&c.id))
        .order(registrations::created_at.asc())
        .select(registrations::id)
        .load(conn)?;
    for (id, t) in regs.iter().zip(spread(regs.len(), opened, middle)) {
        diesel::update(registrations::table.find(id))
            .set((
                registrations::created_at.eq(t),
                registrations::accepted_at.eq(t),
            ))
            .execute(conn)?;
    }
    let qs: Vec<(String, Option<NaiveDateTime>)> = questions::table
        .filter(questions::challenge_id.eq(&c.id))
        .order(questions::created_at.asc())
        .select((questions::id, questions::answered_at))
        .load(conn)?;
    for ((id, answered), t) in qs.iter().zip(spread(qs.len(), middle, active_until)) {
        let answered_at = answered.map(|_| (t + Duration::hours(20)).min(today));
        diesel::update(questions::table.find(id))
            .set((
                questions::created_at.eq(t),
                questions::answered_at.eq(answered_at),
            ))
            .execute(conn)?;
    }
    // Announcements: a winners' note after judging, others mid-way.
    let notes: Vec<String> = announcements::table
        .filter(announcements::challenge_id.eq(&c.id))
        .order(announcements::created_at.asc())
        .select(announcements::id)
        .load(conn)?;
    for id in &notes {
        let t = match spec.story {
            Story::Awarded => judging + Duration::days(1),
            Story::Cancelled => c.updated_at,
            _ => middle,
        };
        diesel::update(announcements::table.find(id))
            .set(announcements::created_at.eq(t.min(today)))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenges::model::{check_tiers, parse_licences, CATEGORIES};
    use crate::orgs::model::Slug;

    fn person(key: &str) -> Option<&'static Person> {
        PEOPLE.iter().find(|p| p.key == key)
    }

    #[test]
    fn the_script_is_valid_and_covers_every_state() {
        assert!(DEMO_PASSWORD.chars().count() >= 12);
        for s in [
            Story::Draft,
            Story::Open,
            Story::Closed,
            Story::Judging,
            Story::Awarded,
            Story::Cancelled,
        ] {
            assert!(CHALLENGES.iter().any(|c| c.story == s), "{s:?}");
        }
        assert!(CHALLENGES.iter().filter(|c| c.story == Story::Open).count() >= 3);
        for c in CHALLENGES {
            assert!(ORGS.iter().any(|o| o.slug == c.org), "{}", c.slug);
            assert!(CATEGORIES.contains(&c.category), "{}", c.category);
            assert!(Slug::parse("slug", c.slug).is_ok(), "{}", c.slug);
            let tiers: Vec<TierInput> = c
                .tiers
                .iter()
                .enumerate()
                .map(|(i, (l, a))| TierInput {
                    rank: i as i32 + 1,
                    label: (*l).into(),
                    amount: minor_units(c.currency, *a),
                })
                .collect();
            assert!(check_tiers("t", &tiers).is_ok(), "{}", c.slug);
            let licences: Vec<String> = c.licences.iter().map(|l| (*l).into()).collect();
            assert!(parse_licences("l", &licences).is_ok(), "{}", c.slug);
            assert!(
                c.summary.chars().count() <= 300 && c.title.chars().count() <= 140,
                "{}",
                c.slug
            );
            assert!(c.opens < c.deadline && c.deadline < c.judging, "{}", c.slug);
            // Finished stories have passed deadlines; the rest have future ones.
            let finished = matches!(c.story, Story::Closed | Story::Judging | Story::Awarded);
            assert_eq!(finished, c.deadline <= 0, "{}", c.slug);
            for k in c
                .registrants
                .iter()
                .chain(c.questions.iter().map(|q| &q.asker))
            {
                assert!(person(k).is_some(), "{k}");
            }
            for q in c.questions {
                assert!(
                    c.registrants.contains(&q.asker),
                    "{} must register to ask",
                    q.asker
                );
            }
        }
        let answered: usize = CHALLENGES
            .iter()
            .map(|c| {
                c.questions
                    .iter()
                    .filter(|q| q.public && q.answer.is_some())
                    .count()
            })
            .sum();
        assert!(answered >= 6);
        assert!(
            CHALLENGES
                .iter()
                .map(|c| c.announcements.len())
                .sum::<usize>()
                >= 2
        );
        for o in ORGS {
            assert!(person(o.owner).is_some() && person(o.admin).is_some());
        }
    }

    #[test]
    fn spread_stays_inside_and_in_order() {
        let a = day(0, 0);
        let b = day(10, 0);
        let ts = spread(4, a, b);
        assert_eq!(ts.len(), 4);
        assert!(ts.windows(2).all(|w| w[0] < w[1]));
        assert!(ts.iter().all(|t| *t > a && *t < b));
        assert!(spread(3, b, a).iter().all(|t| *t == b));
    }
}
