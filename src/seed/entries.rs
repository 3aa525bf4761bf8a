//! The demo entries of the finished challenges, and entering them through
//! the submission services while the challenge is still open: a solver
//! enters, invites co-authors who accept, the team agrees its prize shares,
//! and some entries get a second revision before the deadline. Each step is
//! played at its time in the story, between the middle of the open period
//! and the deadline.

use std::collections::HashMap;

use chrono::Duration;

use super::challenges::ChallengeSpec;
use super::failed;
use super::people::People;
use super::people::PEOPLE;
use super::timeline::{daytime, spread, Clock, Dates};
use crate::state::AppState;
use crate::submissions::service::{self as submissions, ShareInput, SubmissionInput};

/// A demo entry.
pub(super) struct EntrySpec {
    /// The challenge's slug.
    pub(super) challenge: &'static str,
    /// What the judging script calls it.
    pub(super) key: &'static str,
    /// The solver who enters it.
    pub(super) by: &'static str,
    /// Co-authors, who join by invitation.
    pub(super) team: &'static [&'static str],
    /// Prize shares in basis points, the submitter's first; empty: a team
    /// of one.
    pub(super) shares: &'static [i32],
    pub(super) title: &'static str,
    pub(super) abstract_text: &'static str,
    pub(super) body: &'static str,
    /// One of the challenge's licences.
    pub(super) licence: &'static str,
    /// What a second revision adds to the body, before the deadline.
    pub(super) update: Option<&'static str>,
    /// Published in the gallery after results even without a prize.
    pub(super) publish: bool,
}

/// The entries, by challenge.
pub(super) const ENTRIES: &[EntrySpec] = &[
    // ---- Rainwater harvesting kits (awarded) ----
    EntrySpec {
        challenge: "rainwater-harvesting-kits",
        key: "flushbox",
        by: "fatima",
        team: &["jules", "kofi"],
        shares: &[4000, 3000, 3000],
        title: "FlushBox: a 600-litre roof kit with a self-emptying first flush",
        abstract_text: "Half-pipe gutters on wire hooks, a first-flush chamber with a floating ball that holds back the first 20 litres of every shower and empties itself afterwards, and three linked food-grade drums that store 600 litres in a 90 × 90 cm frame. Parts cost €54 from hardware stalls in the settlement; two people install it in four hours.",
        body: "\
## The kit

| part | what it does | cost |
| --- | --- | --- |
| 6 m of 110 mm PVC pipe, cut lengthwise | gutters, on hooks bent from 3 mm wire | €11 |
| First-flush chamber: 1.2 m of pipe with a floating ball | holds back the first 20 litres of each rain, which carry dust and droppings | €7 |
| Three 200-litre food-grade drums, linked at the base | 600 litres in a 90 × 90 cm footprint | €30 |
| Fine mesh, a tap, sealant, screws | keeps mosquitoes and light out | €6 |

## Installing it

Two people with a hacksaw, a hand drill and a hammer: four hours on each of the three roofs we \
built it on. The drawings show every step without words, so they work in any language.

## Safe water

The first-flush chamber drains through a 3 mm hole, so it is empty again before the next shower \
and nobody has to remember it. Every opening is screened. The drums are opaque and stand on a \
raised plinth, so the tap clears a 20-litre jerrycan.",
        licence: "CERN-OHL-P-2.0",
        update: Some("\
## Field test (revision 2)

After six weeks of rain on three homes, 14 of 15 samples from the drums had no *E. coli*; the \
fifteenth came from a tap left open, now replaced by a spring-loaded tap (+€2). Turbidity stayed \
under 5 NTU."),
        publish: false,
    },
    EntrySpec {
        challenge: "rainwater-harvesting-kits",
        key: "liner-tank",
        by: "maria",
        team: &[],
        shares: &[],
        title: "Folding liner tank: 520 litres in a welded-mesh cage",
        abstract_text: "A cylinder of welded mesh lined with a food-grade PVC bladder holds 520 litres and folds flat, so one person can carry it down a 60 cm lane. The roof side reuses a standard gutter with a leaf screen; a tee with a capped down-pipe serves as the first flush.",
        body: "\
## Why a liner

Rigid tanks are what families cannot get home: the lanes are too narrow and the buses refuse them. \
A mesh cage and a liner travel as a roll of 80 × 40 cm and weigh 14 kg.

## Materials (€47)

- 3.2 m of 1 m welded mesh, wire ties
- a food-grade PVC liner, 0.5 mm, heat-welded by a tarpaulin workshop
- 4 m of gutter, a leaf screen, a 110 mm tee and cap
- a tap with a lockable handle

## Assembly

Stand the cage on levelled ground, hang the liner from its collar, fit the lid with its mesh \
inlet, and lead the down-pipe through the tee. About three hours for one person.

## Limits

The liner needs replacing every four to five years (€18), and the first flush works only if \
someone opens the cap after a dry spell.",
        licence: "CC-BY-SA-4.0",
        update: None,
        publish: true,
    },
    EntrySpec {
        challenge: "rainwater-harvesting-kits",
        key: "jerrycan-wall",
        by: "anna",
        team: &["emma"],
        shares: &[5500, 4500],
        title: "Jerrycan wall: storage from the containers families already own",
        abstract_text: "A timber rack holds 25 jerrycans of 20 litres against the house wall, filled one after another from the gutter through a manifold. Any can lifts out and goes where the water is needed, so storing and carrying water are the same object.",
        body: "\
## The idea

Every household we visited owns jerrycans. Instead of one big tank, the wall stores 500 litres in \
containers people already know how to clean and carry.

## How it fills

The gutter feeds a 50 mm manifold with one outlet per can. Each can fills to its neck, then the \
water moves on to the next. A removable mesh basket at the inlet catches leaves.

## Cost and build

The rack is sawn timber and screws (€21), the manifold €14; the cans are the family's own. Two \
people build it in two hours.",
        licence: "CC-BY-SA-4.0",
        update: Some("\
## Revision 2: a stronger manifold

The push-fit manifold of our first prototype leaked in a storm. This revision uses \
solvent-welded joints and adds a guide for checking that each can is food-grade."),
        publish: true,
    },
    EntrySpec {
        challenge: "rainwater-harvesting-kits",
        key: "ferrocement-jar",
        by: "ravi",
        team: &[],
        shares: &[],
        title: "Ferrocement jar for 800 litres",
        abstract_text: "A jar of chicken wire and cement mortar, cast on a mould of sacks filled with sand beside the house. It is the cheapest store per litre we tried (€38 for 800 litres) and lasts for decades, but it takes two days and a mason who knows the technique.",
        body: "\
## Building it

1. Fill hessian sacks with sand into a jar-shaped mould.
2. Wrap the mould in two layers of chicken wire.
3. Plaster 2 cm of 1:3 mortar; cure under wet sacks for a week.
4. Empty the sand, plaster the inside, fit a screened inlet and a tap.

## Why ferrocement

The walls keep the water cool and dark, which limits regrowth, and a well-cured jar needs no \
maintenance beyond a yearly wash.",
        licence: "CC-BY-SA-4.0",
        update: None,
        publish: false,
    },
    // ---- Micromobility parking data (judging) ----
    EntrySpec {
        challenge: "micromobility-parking-data",
        key: "parkspec",
        by: "chen",
        team: &["ravi"],
        shares: &[6000, 4000],
        title: "ParkSpec: parking areas as a GBFS extension, with a validator",
        abstract_text: "ParkSpec adds a parking_areas.json feed to GBFS: polygons with capacity, vehicle types and rules that change with time, written in the opening-hours syntax that maps already use. A validator checks each feed and the feeds against each other, and converters read the three operators' current exports.",
        body: "\
## The model

Each parking area has an `id`, a GeoJSON `geometry`, a `capacity` per vehicle type, and a list of \
`rules`. A rule says what is allowed (`park`, `no_park`, `end_trip_only`) and when, as an \
opening-hours string: `Mo-Fr 07:00-19:00`, `Sa 06:00-14:00 off` on market days.

## Fit with GBFS

Vehicle types reuse `vehicle_types.json`; geofencing zones stay as they are, and a parking area \
may point to the zone it refines. Nothing in GBFS changes meaning.

## Reference implementation

`parkspec-validate` (Rust, Apache-2.0) checks the schema, overlapping areas with conflicting rules, \
and capacities against the city's counts. A read API serves the city's feed with ETags.

## Migration

Converters for the three operators' exports produce valid feeds today; each operator's gaps are \
listed in an appendix.",
        licence: "Apache-2.0",
        update: Some("\
## Revision 2: one-off events

Areas can now carry `overrides` for dated events (the marathon, the Christmas market) that win \
over the weekly rules, with a reason shown to riders."),
        publish: true,
    },
    EntrySpec {
        challenge: "micromobility-parking-data",
        key: "curbledger",
        by: "anna",
        team: &[],
        shares: &[],
        title: "CurbLedger: versioned parking rules as GeoJSON",
        abstract_text: "Every change to a parking area is a dated, signed GeoJSON patch in a public repository, so riders, operators and inspectors can tell which rule was in force when a fine was written. With a small read API and a command-line validator.",
        body: "\
## Why versions

Most disputes we read in the city's complaint log are about *when* a rule applied. CurbLedger \
stores the history, not just the current map.

## Format

A parking area is a GeoJSON feature with `capacity`, `vehicle_types` and `valid_from`. Changes \
are RFC 6902 patches signed by the city's key.

## Tools

`curbledger serve` answers `GET /areas?at=2026-05-01T08:00Z`; `curbledger check` validates a \
patch before it is merged. Both are MIT-licensed.",
        licence: "MIT",
        update: None,
        publish: false,
    },
    EntrySpec {
        challenge: "micromobility-parking-data",
        key: "rider-first",
        by: "emma",
        team: &[],
        shares: &[],
        title: "Rider-first parking zones: a data model written from the pavement up",
        abstract_text: "Forty interviews with riders, wheelchair users and shopkeepers gave the words people use for where a scooter may stand. This model describes parking in those words, then maps each one onto GBFS geofencing zones. A specification document, without code.",
        body: "\
## What people told us

Riders think in *spots* (\"the racks by the library\"), pedestrians in *clear paths*, shopkeepers \
in *frontages*. Rules that ignore these get ignored.

## The model

Three kinds of area — `spot`, `clear_path`, `frontage` — each with the rules riders actually \
need: may I end my trip here, and until when?

## Mapping to GBFS

Each kind maps onto geofencing zone rules, so operators can publish it with the feeds they \
already have.",
        licence: "CC-BY-4.0",
        update: None,
        publish: true,
    },
    // ---- Soil carbon replication (closed) ----
    EntrySpec {
        challenge: "soil-carbon-replication",
        key: "top-30-cm",
        by: "emma",
        team: &[],
        shares: &[],
        title: "The no-till carbon gain holds in the top 30 cm, not below",
        abstract_text: "We rebuilt the dataset (312 paired comparisons from 71 studies) and re-ran the random-effects model. The headline figure reproduces for samples taken to 30 cm (0.38 t C/ha/yr, 95 % CI 0.21–0.55); with every sampling depth it falls to 0.09 and cannot be told apart from zero.",
        body: "\
## Method

We transcribed the supplementary tables twice, independently, and resolved 14 disagreements \
against the source papers. The model follows the methods section; where it is ambiguous we show \
both readings.

## What reproduces

- the sample of studies and comparisons (312 of 312)
- the headline estimate, for depths to 30 cm

## What does not

Deeper samples show carbon moving down under ploughing, not lost. The original pooled depths in \
a way that hides this.",
        licence: "CC-BY-4.0",
        update: Some("\
## Revision 2: sensitivity to one study

Leaving out the largest single study moves the 0–30 cm estimate from 0.38 to 0.34; the \
conclusion holds."),
        publish: true,
    },
    EntrySpec {
        challenge: "soil-carbon-replication",
        key: "soilrepro",
        by: "ravi",
        team: &["anna"],
        shares: &[6000, 4000],
        title: "soilrepro: an open pipeline that rebuilds the 2009 dataset",
        abstract_text: "An R package that extracts the supplementary tables, harmonises units and sampling depths, and re-runs the original model, with every judgement call written down as a named parameter. It reproduces 9 of the paper's 11 numbered results exactly.",
        body: "\
## Running it

`soilrepro::rebuild()` downloads the supplementary tables, checks their hashes, and returns the \
dataset with one row per comparison. `soilrepro::replicate()` fits the model and prints each \
numbered result beside the published value.

## The two results that differ

Both depend on how studies with several tillage treatments were paired. The package offers both \
pairings; neither gives the published numbers.",
        licence: "MIT",
        update: None,
        publish: true,
    },
    EntrySpec {
        challenge: "soil-carbon-replication",
        key: "equivalent-mass",
        by: "maria",
        team: &[],
        shares: &[],
        title: "Equivalent soil mass changes the answer",
        abstract_text: "The original study compared carbon at fixed depths, but no-till soil is denser near the surface, so a fixed depth samples more soil. Recomputed on an equivalent soil mass basis, the no-till advantage shrinks by about 60 %.",
        body: "\
## The correction

For the 118 comparisons that report bulk density, we recomputed stocks to the same soil mass per \
hectare, following the usual cumulative-mass method.

## Result

The mean difference falls from 0.41 to 0.16 t C/ha/yr. The comparisons without bulk density \
cannot be corrected; we list them.",
        licence: "CC0-1.0",
        update: None,
        publish: false,
    },
];

/// The entries of the challenge `slug`.
pub(super) fn of(slug: &str) -> impl Iterator<Item = &'static EntrySpec> + '_ {
    ENTRIES.iter().filter(move |e| e.challenge == slug)
}

/// How many progress steps [`submit`] reports for the challenge `slug`.
pub(super) fn steps(slug: &str) -> usize {
    of(slug)
        .map(|e| {
            1 + e.team.len() + usize::from(!e.shares.is_empty()) + usize::from(e.update.is_some())
        })
        .sum()
}

/// The names of an entry's team, submitter first.
fn holders(e: &EntrySpec) -> String {
    std::iter::once(e.by)
        .chain(e.team.iter().copied())
        .filter_map(|k| PEOPLE.iter().find(|p| p.key == k).map(|p| p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Enters the challenge's entries while it is open, each step at its time
/// in the story; records each entry's submission id under its key.
pub(super) async fn submit(
    state: &AppState,
    spec: &ChallengeSpec,
    people: &People,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
    ids: &mut HashMap<&'static str, String>,
) -> anyhow::Result<()> {
    let entries: Vec<&EntrySpec> = of(spec.slug).collect();
    let d = Dates::of(spec);
    let starts = spread(entries.len(), d.middle, d.deadline - Duration::days(3));
    for (e, start) in entries.into_iter().zip(starts) {
        let what = |doing: &str| format!("{doing} {:?} in {}", e.key, spec.slug);
        // Each entry's story runs from its start to two hours before the
        // deadline; its steps sit at fractions of that span, in the daytime.
        let end = d.deadline - Duration::hours(2);
        let span = (end - start).num_seconds() as f64;
        let at = |f: f64| daytime(start + Duration::seconds((span * f) as i64)).min(end);
        let submitter = people.get(e.by)?;

        clock.at(at(0.0));
        let input = SubmissionInput {
            title: Some(e.title.to_owned()),
            abstract_text: Some(e.abstract_text.to_owned()),
            body: Some(e.body.to_owned()),
            licence: Some(e.licence.to_owned()),
            // A team names every member as a holder; alone, the default.
            copyright_holders: (!e.team.is_empty()).then(|| holders(e)),
            publish_opt_in: e.publish.then_some(true),
            ..SubmissionInput::default()
        };
        let (s, _) = submissions::create(state, &submitter.id, spec.slug, input)
            .await
            .map_err(|err| failed(&what("entering"), err))?;
        step(e.title);

        for (i, key) in e.team.iter().enumerate() {
            let member = people.get(key)?;
            clock.at(at(0.02 + 0.02 * i as f64));
            let inv = submissions::invite(state, &submitter.id, &s.id, &member.email)
                .await
                .map_err(|err| failed(&what(&format!("inviting {key} to")), err))?;
            clock.at(at(0.10 + 0.04 * i as f64));
            submissions::respond_by_id(state, &member.id, &inv.id, true)
                .await
                .map_err(|err| failed(&what(&format!("{key} joining")), err))?;
            step(member.email.as_str());
        }

        if !e.shares.is_empty() {
            let mut shares = Vec::new();
            for (key, bps) in std::iter::once(&e.by).chain(e.team).zip(e.shares) {
                shares.push(ShareInput {
                    user_id: people.get(key)?.id,
                    bps: *bps,
                });
            }
            clock.at(at(0.25));
            let mut applied = submissions::propose_shares(state, &submitter.id, &s.id, shares)
                .await
                .map_err(|err| failed(&what("proposing shares of"), err))?;
            for (i, key) in e.team.iter().enumerate() {
                clock.at(at(0.30 + 0.04 * i as f64));
                applied = submissions::approve_shares(state, &people.get(key)?.id, &s.id)
                    .await
                    .map_err(|err| failed(&what(&format!("{key} approving shares of")), err))?;
            }
            anyhow::ensure!(
                applied,
                "{}: every member approved, yet shares did not apply",
                what("sharing")
            );
            step("shares agreed");
        }

        if let Some(update) = e.update {
            // A co-author, when there is one, writes the second revision.
            let reviser = people.get(e.team.first().copied().unwrap_or(e.by))?;
            clock.at(at(0.7));
            let input = SubmissionInput {
                body: Some(format!("{}\n\n{update}", e.body)),
                ..SubmissionInput::default()
            };
            submissions::revise(state, &reviser.id, &s.id, input)
                .await
                .map_err(|err| failed(&what("revising"), err))?;
            step("revision");
        }
        ids.insert(e.key, s.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::challenges::CHALLENGES;
    use super::*;
    use crate::submissions::model::check_shares;

    #[test]
    fn every_entry_fits_its_challenge() {
        let mut keys = std::collections::HashSet::new();
        for e in ENTRIES {
            assert!(keys.insert(e.key), "{} twice", e.key);
            let c = CHALLENGES
                .iter()
                .find(|c| c.slug == e.challenge)
                .unwrap_or_else(|| panic!("{}: no challenge {}", e.key, e.challenge));
            assert!(
                c.story.finished(),
                "{}: entries are for finished stories",
                e.key
            );
            assert!(c.licences.contains(&e.licence), "{}: licence", e.key);
            assert!(
                std::iter::once(&e.by)
                    .chain(e.team)
                    .all(|k| c.registrants.contains(k)),
                "{}: every author registers",
                e.key
            );
            assert!(e.team.len() < c.max_team as usize, "{}: team size", e.key);
            if e.team.is_empty() {
                assert!(e.shares.is_empty(), "{}", e.key);
            } else {
                assert_eq!(e.shares.len(), e.team.len() + 1, "{}: shares", e.key);
                assert!(
                    check_shares("shares", e.shares, e.shares.len()).is_ok(),
                    "{}",
                    e.key
                );
            }
            assert!((3..=140).contains(&e.title.chars().count()), "{}", e.key);
            assert!(
                (10..=1000).contains(&e.abstract_text.chars().count()),
                "{}",
                e.key
            );
        }
        for c in CHALLENGES.iter().filter(|c| c.story.finished()) {
            let entries: Vec<&EntrySpec> = of(c.slug).collect();
            assert!(entries.len() >= 3, "{}: entries", c.slug);
            // One entry per solver and challenge.
            let mut authors = std::collections::HashSet::new();
            for e in &entries {
                for k in std::iter::once(&e.by).chain(e.team) {
                    assert!(authors.insert(*k), "{k} in two entries of {}", c.slug);
                }
            }
        }
        let teams: Vec<usize> = ENTRIES.iter().map(|e| e.team.len() + 1).collect();
        assert!(
            teams.contains(&2) && teams.contains(&3),
            "teams of two and three"
        );
        assert!(ENTRIES.iter().any(|e| e.publish) && ENTRIES.iter().any(|e| !e.publish));
        assert!(ENTRIES.iter().any(|e| e.update.is_some()));
    }
}
