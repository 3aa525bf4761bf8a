# Tribu: one binary with migrations, templates and static assets embedded.
#   docker build -t tribu .
#   docker run -p 8080:8080 -v tribu-data:/var/lib/tribu/data tribu
# With no TRIBU_DATABASE_URL it runs on SQLite in /var/lib/tribu/data; see
# docker-compose.yml for PostgreSQL + an SMTP catcher.

# ---- build ----
FROM rust:1-slim-bookworm AS builder
# SQLite and libpq are compiled from source (bundled features); libpq links OpenSSL
# through openssl-sys, which finds the system library with pkg-config.
# (gcc and libc headers already come with the rust image.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Fetch dependencies in their own layer so source edits don't re-download them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && touch src/lib.rs && echo 'fn main() {}' > src/main.rs \
 && cargo fetch --locked \
 && rm -rf src
COPY src src
COPY migrations migrations
COPY frontend frontend
RUN cargo build --release --locked \
 && install -m 0755 target/release/tribu /usr/local/bin/tribu

# ---- runtime ----
FROM debian:bookworm-slim
# ca-certificates: TLS to SMTP / Stripe / PostgreSQL. libssl3: libpq links OpenSSL
# dynamically (openssl-sys is not vendored).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home-dir /var/lib/tribu --shell /usr/sbin/nologin tribu \
 && mkdir -p /var/lib/tribu/data \
 && chown -R tribu:tribu /var/lib/tribu
COPY --from=builder /usr/local/bin/tribu /usr/local/bin/tribu
USER tribu
WORKDIR /var/lib/tribu
# The default SQLite URL (sqlite://data/tribu.db) is relative to WORKDIR, so the
# database lands in the data volume too.
ENV TRIBU_LISTEN=0.0.0.0:8080 \
    TRIBU_DATA_DIR=/var/lib/tribu/data
VOLUME ["/var/lib/tribu/data"]
EXPOSE 8080
# No HEALTHCHECK: the slim image has no curl/wget, and the binary has no health
# subcommand. Let the orchestrator probe HTTP on port 8080 instead.
ENTRYPOINT ["tribu"]
CMD ["serve"]
