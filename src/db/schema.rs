//! The one diesel schema both backends share. Kept in step with
//! `migrations/sqlite` and `migrations/postgres` (a test compares them).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        email_verified_at -> Nullable<Timestamp>,
        language -> Text,
        is_platform_admin -> Bool,
        suspended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        public_profile -> Bool,
        unread_notifications -> Integer,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        url -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        org_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        first_attempt_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        attempt -> Integer,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
        at -> Timestamp,
    }
}

diesel::table! {
    follows (user_id, target_type, target_id) {
        user_id -> Text,
        target_type -> Text,
        target_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reminders_sent (user_id, challenge_id, kind, deadline) {
        user_id -> Text,
        challenge_id -> Text,
        kind -> Text,
        deadline -> Timestamp,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    notification_prefs (user_id, kind) {
        user_id -> Text,
        kind -> Text,
        email -> Bool,
        in_app -> Bool,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        session_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Text,
        email -> Text,
        ip -> Text,
        succeeded -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    orgs (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    org_members (org_id, user_id) {
        org_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    org_invitations (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        user_id -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor_user_id -> Nullable<Text>,
        actor_api_key_id -> Nullable<Text>,
        org_id -> Nullable<Text>,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    challenges (id) {
        id -> Text,
        org_id -> Text,
        slug -> Text,
        title -> Text,
        summary -> Text,
        description_md -> Text,
        category -> Text,
        tags -> Text,
        kind -> Text,
        currency -> Text,
        prize_total -> BigInt,
        state -> Text,
        visibility -> Text,
        opens_at -> Nullable<Timestamp>,
        submission_deadline -> Timestamp,
        judging_deadline -> Timestamp,
        eligibility -> Text,
        allowed_licences -> Text,
        max_submissions_per_solver -> Integer,
        max_team_size -> Integer,
        blind_judging -> Bool,
        rules_version -> Integer,
        review_state -> Text,
        review_comment -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        max_attachment_bytes -> Nullable<BigInt>,
        max_submission_bytes -> Nullable<BigInt>,
        pending_changes -> Nullable<Text>,
    }
}

diesel::table! {
    challenge_resources (id) {
        id -> Text,
        challenge_id -> Text,
        kind -> Text,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        public -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    challenge_cancellations (challenge_id) {
        challenge_id -> Text,
        reason -> Text,
        cancelled_at -> Timestamp,
    }
}

diesel::table! {
    challenge_tags (challenge_id, tag) {
        challenge_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    prize_tiers (id) {
        id -> Text,
        challenge_id -> Text,
        rank -> Integer,
        label -> Text,
        amount -> BigInt,
    }
}

diesel::table! {
    challenge_rules (id) {
        id -> Text,
        challenge_id -> Text,
        version -> Integer,
        body_md -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        challenge_id -> Text,
        user_id -> Text,
        rules_version -> Integer,
        accepted_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        challenge_id -> Text,
        asked_by -> Text,
        body -> Text,
        is_public -> Bool,
        answer -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    announcements (id) {
        id -> Text,
        challenge_id -> Text,
        title -> Text,
        body_md -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Text,
        kind -> Text,
        owner_id -> Text,
        currency -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journal_entries (id) {
        id -> Text,
        idempotency_key -> Text,
        kind -> Text,
        challenge_id -> Nullable<Text>,
        memo -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journal_lines (id) {
        id -> Text,
        entry_id -> Text,
        account_id -> Text,
        amount -> BigInt,
        currency -> Text,
    }
}

diesel::table! {
    fundings (id) {
        id -> Text,
        challenge_id -> Text,
        amount -> BigInt,
        fee -> BigInt,
        currency -> Text,
        status -> Text,
        reference -> Nullable<Text>,
        requested_by -> Text,
        requested_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        entry_id -> Nullable<Text>,
        provider -> Text,
        checkout_session_id -> Nullable<Text>,
        checkout_url -> Nullable<Text>,
        payment_intent_id -> Nullable<Text>,
        charge_id -> Nullable<Text>,
    }
}

diesel::table! {
    platform_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        challenge_id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        withdrawal -> Text,
        credit_joiners -> Bool,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> Text,
        challenge_id -> Text,
        user_id -> Text,
        role -> Text,
        share_bps -> Integer,
        joined_at -> Timestamp,
        anonymous -> Bool,
        credited -> Bool,
    }
}

diesel::table! {
    withdrawal_votes (submission_id, user_id) {
        submission_id -> Text,
        user_id -> Text,
        voted_at -> Timestamp,
    }
}

diesel::table! {
    team_invitations (id) {
        id -> Text,
        team_id -> Text,
        email -> Text,
        token_hash -> Text,
        invited_by -> Text,
        status -> Text,
        created_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    share_proposals (id) {
        id -> Text,
        team_id -> Text,
        shares -> Text,
        proposed_by -> Text,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    share_approvals (proposal_id, user_id) {
        proposal_id -> Text,
        user_id -> Text,
        approved_at -> Timestamp,
    }
}

diesel::table! {
    submissions (id) {
        id -> Text,
        challenge_id -> Text,
        team_id -> Text,
        state -> Text,
        title -> Text,
        licence -> Text,
        current_revision -> Integer,
        disqualified_reason -> Nullable<Text>,
        publish_opt_in -> Bool,
        published_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        builds_on -> Nullable<Text>,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        submission_id -> Text,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revisions (id) {
        id -> Text,
        submission_id -> Text,
        number -> Integer,
        title -> Text,
        abstract_text -> Text,
        body_md -> Text,
        licence -> Text,
        copyright_holders -> Text,
        attachment_ids -> Text,
        content_sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (principal, key) {
        principal -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    judges (id) {
        id -> Text,
        challenge_id -> Text,
        email -> Text,
        user_id -> Nullable<Text>,
        status -> Text,
        token_hash -> Text,
        invited_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rounds (id) {
        id -> Text,
        challenge_id -> Text,
        number -> Integer,
        name -> Text,
        state -> Text,
        judges_per_entry -> Integer,
        normalise -> Bool,
        shortlist -> Nullable<Integer>,
        assignment_seed -> BigInt,
        created_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    round_judges (round_id, judge_id) {
        round_id -> Text,
        judge_id -> Text,
    }
}

diesel::table! {
    criteria (id) {
        id -> Text,
        round_id -> Text,
        position -> Integer,
        name -> Text,
        description -> Text,
        weight -> Double,
        scale_min -> Integer,
        scale_max -> Integer,
        comment_required -> Bool,
    }
}

diesel::table! {
    round_entries (round_id, submission_id) {
        round_id -> Text,
        submission_id -> Text,
        revision -> Integer,
        revised_at -> Timestamp,
        code -> Text,
    }
}

diesel::table! {
    conflicts (judge_id, submission_id) {
        judge_id -> Text,
        submission_id -> Text,
        reason -> Text,
        automatic -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        round_id -> Text,
        judge_id -> Text,
        submission_id -> Text,
        manual -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scorecards (id) {
        id -> Text,
        assignment_id -> Text,
        round_id -> Text,
        judge_id -> Text,
        submission_id -> Text,
        state -> Text,
        total -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    scores (scorecard_id, criterion_id) {
        scorecard_id -> Text,
        criterion_id -> Text,
        score -> Integer,
        comment -> Text,
    }
}

diesel::table! {
    results (challenge_id) {
        challenge_id -> Text,
        round_id -> Text,
        show_scores -> Bool,
        alpha -> Nullable<Double>,
        standings -> Text,
        published_by -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    awards (id) {
        id -> Text,
        challenge_id -> Text,
        submission_id -> Text,
        tier_rank -> Integer,
        amount -> BigInt,
        currency -> Text,
        entry_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payouts (id) {
        id -> Text,
        challenge_id -> Text,
        award_id -> Text,
        user_id -> Text,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        provider -> Text,
        idempotency_key -> Text,
        reference -> Nullable<Text>,
        failure -> Nullable<Text>,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        paid_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refunds (id) {
        id -> Text,
        challenge_id -> Text,
        org_id -> Text,
        amount -> BigInt,
        currency -> Text,
        reason -> Text,
        status -> Text,
        provider -> Text,
        idempotency_key -> Text,
        reference -> Nullable<Text>,
        failure -> Nullable<Text>,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        paid_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payment_accounts (user_id) {
        user_id -> Text,
        provider -> Text,
        account_id -> Text,
        payouts_enabled -> Bool,
        requirements -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    provider_events (id) {
        id -> Text,
        provider -> Text,
        kind -> Text,
        received_at -> Timestamp,
    }
}

diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(org_members -> orgs (org_id));
diesel::joinable!(org_members -> users (user_id));
diesel::joinable!(org_invitations -> orgs (org_id));
diesel::joinable!(api_keys -> orgs (org_id));
diesel::joinable!(challenges -> orgs (org_id));
diesel::joinable!(challenge_tags -> challenges (challenge_id));
diesel::joinable!(prize_tiers -> challenges (challenge_id));
diesel::joinable!(challenge_rules -> challenges (challenge_id));
diesel::joinable!(registrations -> challenges (challenge_id));
diesel::joinable!(registrations -> users (user_id));
diesel::joinable!(questions -> challenges (challenge_id));
diesel::joinable!(announcements -> challenges (challenge_id));
diesel::joinable!(journal_lines -> journal_entries (entry_id));
diesel::joinable!(journal_lines -> ledger_accounts (account_id));
diesel::joinable!(fundings -> challenges (challenge_id));
diesel::joinable!(teams -> challenges (challenge_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(team_invitations -> teams (team_id));
diesel::joinable!(share_proposals -> teams (team_id));
diesel::joinable!(submissions -> challenges (challenge_id));
diesel::joinable!(submissions -> teams (team_id));
diesel::joinable!(attachments -> submissions (submission_id));
diesel::joinable!(revisions -> submissions (submission_id));
diesel::joinable!(judges -> challenges (challenge_id));
diesel::joinable!(rounds -> challenges (challenge_id));
diesel::joinable!(round_judges -> rounds (round_id));
diesel::joinable!(round_judges -> judges (judge_id));
diesel::joinable!(criteria -> rounds (round_id));
diesel::joinable!(round_entries -> rounds (round_id));
diesel::joinable!(round_entries -> submissions (submission_id));
diesel::joinable!(conflicts -> judges (judge_id));
diesel::joinable!(assignments -> rounds (round_id));
diesel::joinable!(assignments -> judges (judge_id));
diesel::joinable!(assignments -> submissions (submission_id));
diesel::joinable!(scorecards -> assignments (assignment_id));
diesel::joinable!(scores -> scorecards (scorecard_id));
diesel::joinable!(scores -> criteria (criterion_id));
diesel::joinable!(awards -> submissions (submission_id));
diesel::joinable!(payouts -> awards (award_id));
diesel::joinable!(payouts -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    notifications,
    notification_prefs,
    follows,
    reminders_sent,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    email_tokens,
    sessions,
    refresh_tokens,
    login_attempts,
    orgs,
    org_members,
    org_invitations,
    api_keys,
    outbox,
    audit_log,
    challenges,
    challenge_cancellations,
    challenge_resources,
    challenge_tags,
    prize_tiers,
    challenge_rules,
    registrations,
    questions,
    announcements,
    ledger_accounts,
    journal_entries,
    journal_lines,
    fundings,
    platform_settings,
    teams,
    withdrawal_votes,
    team_members,
    team_invitations,
    share_proposals,
    share_approvals,
    submissions,
    attachments,
    revisions,
    idempotency_keys,
    judges,
    rounds,
    round_judges,
    criteria,
    round_entries,
    conflicts,
    assignments,
    scorecards,
    scores,
    results,
    awards,
    payouts,
    refunds,
    payment_accounts,
    provider_events,
);
