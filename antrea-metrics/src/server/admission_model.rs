//! The admission policy against an adversary, outside sockets: a handful of slots, two or three
//! attacker addresses without a token, and a scraper with one. The adversary chooses every step
//! (connect, finish a handshake, send a request and read or never read the response, read later,
//! close, let time pass, and when the scraper moves); the model drives the real [`Admission`]
//! with a hand-set clock and checks the guarantee of `docs/reliability.md` after every step:
//!
//! - **G1** a scraper's new connection is admitted (never refused at accept);
//! - **G2** it is not closed to make room before it has sent its request, unless the attacker
//!   then held every other unproven slot, each from a different address, each opened less
//!   than the protection period ago (impossible with fewer attacker addresses than slots − 1);
//! - **G3** a connection that proved its token (the scraper's kept-alive one) is never closed
//!   to make room;
//! - and the table's bounds: never more than `max_total` held, nor `max_per_client` per address.
//!
//! The scraper needs less than the protection period to send its request: it is forced to
//! finish before a second tick passes. Every schedule of up to [`EXHAUSTIVE_DEPTH`] steps is
//! tried, then long random schedules from fixed seeds. Which rule each check needs is listed
//! in `docs/reliability.md`.

use super::*;

/// Time passes in ticks; the scraper must send its request within two (less than protection).
const TICK: Duration = Duration::from_millis(400);
const PROTECTION: Duration = Duration::from_secs(1);
const EXHAUSTIVE_DEPTH: usize = 5;
const RANDOM_SCHEDULES: u64 = 3000;
const RANDOM_STEPS: usize = 80;

#[derive(Debug, Clone, Copy)]
struct Config {
    slots: usize,
    per_client: usize,
    attackers: u8,
    /// The scraper also holds a kept-alive connection that proved its token.
    kept_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// An attacker address opens a connection.
    Connect(u8),
    /// An attacker connection (by index) finishes its TLS handshake.
    Handshake(usize),
    /// An attacker connection sends a request without a token; reads the response or never.
    Request { conn: usize, read: bool },
    /// An attacker connection reads the response it left unread.
    Read(usize),
    /// An attacker closes a connection.
    Close(usize),
    /// Time passes.
    Tick,
    /// The scraper opens a fresh connection, or takes its next step on it.
    Scrape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Handshaken,
    Served,
}

struct AttackerConn {
    addr: u8,
    accepted: Duration,
    phase: Phase,
    ticket: Ticket,
    unread: Option<Sending>,
}

struct Fresh {
    ticket: Ticket,
    phase: Phase,
    connected: Duration,
}

struct World {
    config: Config,
    admission: Arc<Admission>,
    clock: Arc<Clock>,
    now: Duration,
    attackers: Vec<AttackerConn>,
    kept_alive: Option<Ticket>,
    fresh: Option<Fresh>,
    /// Fresh-connection scrapes that got their answer.
    served: usize,
}

fn attacker_ip(index: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, 10 + index])
}

const SCRAPER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));

fn evicted(ticket: &Ticket) -> bool {
    ticket.slot.inflight.load(Ordering::Acquire) == EVICTED
}

/// A request with an accepted token, answered and taken.
fn scrape_on(ticket: &Ticket) -> bool {
    let Some(busy) = ticket.slot().begin() else {
        return false;
    };
    ticket.slot().prove();
    drop(busy.responded());
    true
}

impl World {
    fn new(config: Config) -> Self {
        // Creating the families costs more than a whole schedule: share one set.
        static METRICS: std::sync::OnceLock<ServerMetrics> = std::sync::OnceLock::new();
        let metrics = METRICS
            .get_or_init(|| ServerMetrics::new(None).expect("constant metric names"))
            .clone();
        let clock = Arc::new(Clock::manual());
        let bounds = Bounds {
            max_total: config.slots,
            max_per_client: config.per_client,
            protection: PROTECTION,
        };
        let admission = Arc::new(Admission::with_clock(bounds, metrics, Arc::clone(&clock)));
        let kept_alive = config.kept_alive.then(|| {
            let ticket = admission.admit(SCRAPER).expect("an empty table");
            ticket.slot().handshake_done();
            assert!(scrape_on(&ticket));
            ticket
        });
        Self {
            config,
            admission,
            clock,
            now: Duration::ZERO,
            attackers: Vec::new(),
            kept_alive,
            fresh: None,
            served: 0,
        }
    }

    /// Every step the adversary may take now.
    fn choices(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = (0..self.config.attackers).map(Step::Connect).collect();
        for (conn, c) in self.attackers.iter().enumerate() {
            match (c.phase, c.unread.is_some()) {
                (Phase::Connecting, _) => steps.push(Step::Handshake(conn)),
                (_, true) => steps.push(Step::Read(conn)),
                (_, false) => {
                    steps.push(Step::Request { conn, read: true });
                    steps.push(Step::Request { conn, read: false });
                }
            }
            steps.push(Step::Close(conn));
        }
        steps.push(Step::Tick);
        steps.push(Step::Scrape);
        steps
    }

    /// Whether an attacker could now legitimately win a tie against a fresh connection (the
    /// exception in G2): every other unproven slot is the attacker's, from distinct
    /// addresses, all younger than the protection period.
    fn tie_possible(&self) -> bool {
        let proven = usize::from(self.kept_alive.is_some());
        let mut addrs: Vec<u8> = self.attackers.iter().map(|c| c.addr).collect();
        let held = addrs.len();
        addrs.sort_unstable();
        addrs.dedup();
        held + 1 + proven >= self.config.slots
            && addrs.len() == held
            && self
                .attackers
                .iter()
                .all(|c| self.now.saturating_sub(c.accepted) < PROTECTION)
    }

    fn step(&mut self, step: Step) -> Result<(), String> {
        let tie = self.tie_possible();
        match step {
            Step::Connect(addr) => {
                if let Some(ticket) = self.admission.admit(attacker_ip(addr)) {
                    self.attackers.push(AttackerConn {
                        addr,
                        accepted: self.now,
                        phase: Phase::Connecting,
                        ticket,
                        unread: None,
                    });
                }
            }
            Step::Handshake(conn) => {
                let c = &mut self.attackers[conn];
                c.ticket.slot().handshake_done();
                c.phase = Phase::Handshaken;
            }
            Step::Request { conn, read } => {
                let c = &mut self.attackers[conn];
                if let Some(busy) = c.ticket.slot().begin() {
                    let sending = busy.responded();
                    c.unread = (!read).then_some(sending);
                    c.phase = Phase::Served;
                }
            }
            Step::Read(conn) => self.attackers[conn].unread = None,
            Step::Close(conn) => drop(self.attackers.swap_remove(conn)),
            Step::Tick => {
                // The scraper is never slower than its budget: it finishes first.
                if self
                    .fresh
                    .as_ref()
                    .is_some_and(|f| self.now - f.connected >= TICK)
                {
                    while self.fresh.is_some() {
                        self.scrape(tie)?;
                    }
                }
                self.now += TICK;
                self.clock.advance(TICK);
            }
            Step::Scrape => self.scrape(tie)?,
        }
        // The server closes what it evicted; the attacker sees it closed.
        self.attackers.retain(|c| !evicted(&c.ticket));
        self.check(tie)
    }

    /// The scraper's next step on its fresh connection (or a new one).
    fn scrape(&mut self, tie: bool) -> Result<(), String> {
        match self.fresh.take() {
            None => {
                let ticket = self
                    .admission
                    .admit(SCRAPER)
                    .ok_or("G1: the scraper's new connection was refused at accept")?;
                self.fresh = Some(Fresh {
                    ticket,
                    phase: Phase::Connecting,
                    connected: self.now,
                });
            }
            Some(mut fresh) if fresh.phase == Phase::Connecting => {
                fresh.ticket.slot().handshake_done();
                fresh.phase = Phase::Handshaken;
                self.fresh = Some(fresh);
            }
            Some(fresh) => {
                if scrape_on(&fresh.ticket) {
                    self.served += 1;
                } else if !tie {
                    return Err("G2: the scraper's connection was closed before its request".into());
                }
                // A fresh-connection scraper closes after its answer.
            }
        }
        Ok(())
    }

    fn check(&mut self, tie: bool) -> Result<(), String> {
        if self.fresh.as_ref().is_some_and(|f| evicted(&f.ticket)) {
            if !tie {
                return Err("G2: the scraper's fresh connection was evicted".into());
            }
            self.fresh = None;
        }
        if self.kept_alive.as_ref().is_some_and(evicted) {
            return Err("G3: the scraper's proven kept-alive connection was evicted".into());
        }
        let table = self.admission.table();
        if table.slots.len() > self.config.slots {
            return Err(format!("{} slots held", table.slots.len()));
        }
        if let Some((ip, n)) = table
            .per_client
            .iter()
            .find(|(_, n)| **n > self.config.per_client)
        {
            return Err(format!("{ip} holds {n}"));
        }
        let open = self.attackers.len()
            + usize::from(self.kept_alive.is_some())
            + usize::from(self.fresh.is_some());
        if table.slots.len() != open {
            return Err(format!("{} slots held, {open} open", table.slots.len()));
        }
        Ok(())
    }
}

/// Runs `schedule` (choice indices, taken modulo the choices available) on a new world.
fn run(config: Config, schedule: &[usize]) -> Result<World, String> {
    let mut world = World::new(config);
    let mut taken = Vec::new();
    for &pick in schedule {
        let choices = world.choices();
        let step = choices[pick % choices.len()];
        taken.push(step);
        world
            .step(step)
            .map_err(|err| format!("{err}\n{config:?}\nafter {taken:?}"))?;
    }
    Ok(world)
}

/// Every schedule of up to `depth` steps, depth first; returns how many were run.
fn exhaustive(config: Config, prefix: &mut Vec<usize>, depth: usize) -> Result<u64, String> {
    let world = run(config, prefix)?;
    if prefix.len() == depth {
        return Ok(1);
    }
    let mut count = 0;
    for pick in 0..world.choices().len() {
        prefix.push(pick);
        count += exhaustive(config, prefix, depth)?;
        prefix.pop();
    }
    Ok(count)
}

/// splitmix64: a fixed, dependency-free source of schedules.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn random(config: Config) -> Result<usize, String> {
    let mut served = 0;
    for seed in 0..RANDOM_SCHEDULES {
        let mut state = seed;
        let schedule: Vec<usize> = (0..RANDOM_STEPS)
            .map(|_| usize::try_from(next(&mut state) % 1024).unwrap_or(0))
            .collect();
        served += run(config, &schedule)
            .map_err(|err| format!("seed {seed}: {err}"))?
            .served;
    }
    Ok(served)
}

fn explore(config: Config) {
    let schedules =
        exhaustive(config, &mut Vec::new(), EXHAUSTIVE_DEPTH).unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    let served = random(config).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{config:?}: {schedules} exhaustive schedules, {served} random scrapes served, random part {:?}", started.elapsed());
    // The adversary must not have kept the scraper from ever being served: the runs mean
    // something only if scrapes completed.
    assert!(
        schedules > 1000 && served > 1000,
        "{schedules} schedules, {served} served"
    );
}

/// Two attacker addresses and four slots: fewer addresses than slots − 1, so the guarantee
/// holds without exception.
#[test]
fn two_attacker_addresses_never_keep_the_scraper_out() {
    for kept_alive in [false, true] {
        explore(Config {
            slots: 4,
            per_client: 3,
            attackers: 2,
            kept_alive,
        });
    }
}

/// Three attacker addresses and four slots: the attacker can spread one connection per address
/// and tie with the scraper's address; only fresh connections of its own may then win.
#[test]
fn three_attacker_addresses_tie_only_with_fresh_connections() {
    for kept_alive in [false, true] {
        explore(Config {
            slots: 4,
            per_client: 4,
            attackers: 3,
            kept_alive,
        });
    }
}
