//! Timed sends: a repeat schedule (every N ms, with optional jitter, a
//! count or forever) and the reconnect backoff (1 s, doubling to 30 s).
//! Both are plain state machines driven by tokio's clock, so tests run them
//! on a paused clock.

use std::time::Duration;

use crate::relay::faults::Jitter;

/// Sends on a schedule: every `every`, moved by up to ± `jitter`, `count`
/// times (or until stopped).
#[derive(Debug, Clone)]
pub struct Repeat {
    every: Duration,
    jitter: Duration,
    left: Option<u64>,
    sent: u64,
    random: Jitter,
}

impl Repeat {
    /// A schedule; `count` `None` repeats until stopped.
    pub fn new(every: Duration, jitter: Duration, count: Option<u64>, seed: u64) -> Self {
        Self {
            every,
            jitter,
            left: count,
            sent: 0,
            random: Jitter::new(seed),
        }
    }

    /// Counts one send and says how long to wait before the next one;
    /// `None` when the count is reached.
    pub fn sent_one(&mut self) -> Option<Duration> {
        self.sent += 1;
        if let Some(left) = &mut self.left {
            *left = left.saturating_sub(1);
            if *left == 0 {
                return None;
            }
        }
        Some(self.random.delay(self.every, self.jitter))
    }

    /// Whether it sends more than once (an interval was given).
    pub fn repeats(&self) -> bool {
        !self.every.is_zero()
    }

    /// Sends so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Whether another send is due (the count is not reached).
    pub fn more(&self) -> bool {
        self.left != Some(0)
    }
}

/// The intervals a front end's repeat key steps through, after "off".
pub const REPEAT_EVERY: [Duration; 3] = [
    Duration::from_millis(1000),
    Duration::from_millis(250),
    Duration::from_millis(50),
];

/// A repeat as a person types it: `500ms`, `1s ±200ms x10`, `every 2s
/// jitter 100ms count 5` (a bare number is milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatSpec {
    /// The interval.
    pub every: Duration,
    /// Each wait moves by up to ± this.
    pub jitter: Duration,
    /// Stop after this many sends.
    pub count: Option<u64>,
}

impl RepeatSpec {
    /// Reads a spec; the error says which word is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut every = None;
        let mut jitter = Duration::ZERO;
        let mut count = None;
        let mut words = text.split_whitespace();
        while let Some(word) = words.next() {
            let lower = word.to_lowercase();
            let (what, value) = if let Some(rest) =
                lower.strip_prefix('±').or_else(|| lower.strip_prefix("+-"))
            {
                ("jitter", rest.to_string())
            } else if let Some(rest) = lower.strip_prefix('x').or_else(|| lower.strip_prefix('×'))
            {
                ("count", rest.to_string())
            } else {
                match lower.as_str() {
                    "every" => continue,
                    "jitter" | "±" | "+-" => ("jitter", String::new()),
                    "count" | "times" => ("count", String::new()),
                    _ => ("every", lower.clone()),
                }
            };
            let value = match value.is_empty() {
                true => words
                    .next()
                    .map(str::to_lowercase)
                    .ok_or(format!("{what} needs a value"))?,
                false => value,
            };
            match what {
                "jitter" => jitter = duration(&value)?,
                "count" => {
                    let n: u64 = value
                        .parse()
                        .map_err(|_| format!("count {value:?} is not a whole number"))?;
                    if n == 0 {
                        return Err("count 0 sends nothing".into());
                    }
                    count = Some(n);
                }
                _ if every.is_some() => {
                    return Err(format!("{word:?}: the interval is given twice"))
                }
                _ => every = Some(duration(&value)?),
            }
        }
        let every = every.ok_or("give an interval, e.g. 500ms or 1s ±200ms x10")?;
        if every < Duration::from_millis(1) {
            return Err("the interval must be at least 1 ms".into());
        }
        Ok(Self {
            every,
            jitter,
            count,
        })
    }

    /// The schedule it describes.
    pub fn schedule(&self, seed: u64) -> Repeat {
        Repeat::new(self.every, self.jitter, self.count, seed)
    }

    /// In words: `every 500 ms ±100 ms` (the count is shown as it runs).
    pub fn describe(&self) -> String {
        let mut words = format!("every {}", crate::error::human_duration(self.every));
        if !self.jitter.is_zero() {
            words.push_str(&format!(" ±{}", crate::error::human_duration(self.jitter)));
        }
        words
    }
}

/// `250`, `250ms`, `1.5s`, `2m`.
fn duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 0.001)
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 250ms, 1s)"))?;
    let seconds = value * scale;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("{text:?} is out of range (0 to 24 h)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The interval after `now` in [`REPEAT_EVERY`] (`None` → the first;
/// after the last → `None`, off).
pub fn next_interval(now: Option<Duration>) -> Option<Duration> {
    match now {
        None => Some(REPEAT_EVERY[0]),
        Some(every) => REPEAT_EVERY
            .iter()
            .position(|d| *d == every)
            .and_then(|at| REPEAT_EVERY.get(at + 1))
            .copied(),
    }
}

/// How one timed send went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Written to the socket: counted.
    Sent,
    /// Not sent (a datagram too large, an ICMP error): not counted, the
    /// schedule goes on.
    Failed,
    /// The connection or socket is gone: the sends end.
    Ended,
}

/// A timed send in progress: the exact count of what reached the socket;
/// dropping it stops the sends.
pub struct Repeating {
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
    done: tokio::sync::watch::Receiver<bool>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Says "done" however the task ends (even if it is dropped).
struct DoneOnDrop(tokio::sync::watch::Sender<bool>);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

impl Repeating {
    /// Sends the next of `pieces` on `schedule` in an engine task until the
    /// pieces or the count run out, the connection ends, or the handle is
    /// dropped. `send` resolves once the piece is written (so the count is
    /// what the socket took, and nothing piles up in between).
    pub fn start_each<I, F, Fut>(
        engine: &super::Engine,
        schedule: Repeat,
        pieces: I,
        mut send: F,
    ) -> Self
    where
        I: Iterator<Item = Vec<u8>> + Send + 'static,
        F: FnMut(Vec<u8>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = SendOutcome> + Send,
    {
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = tokio::sync::watch::channel(false);
        let counter = std::sync::Arc::clone(&sent);
        engine.spawn(async move {
            let _done = DoneOnDrop(done_tx);
            let mut schedule = schedule;
            for piece in pieces {
                tokio::select! {
                    outcome = send(piece) => match outcome {
                        SendOutcome::Sent => {
                            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        SendOutcome::Failed => {}
                        SendOutcome::Ended => return,
                    },
                    _ = &mut stopped => return,
                }
                let Some(wait) = schedule.sent_one() else {
                    return;
                };
                // Back to back: a zero sleep would still wait for the
                // timer's next tick (a millisecond) each time.
                if wait.is_zero() {
                    continue;
                }
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = &mut stopped => return,
                }
            }
        });
        Self {
            sent,
            done,
            _stop: stop,
        }
    }

    /// Sends the same bytes on `schedule`.
    pub fn start<F, Fut>(engine: &super::Engine, schedule: Repeat, bytes: Vec<u8>, send: F) -> Self
    where
        F: FnMut(Vec<u8>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = SendOutcome> + Send,
    {
        Self::start_each(engine, schedule, std::iter::repeat(bytes), send)
    }

    /// Sends each of `count` pieces once, in order, back to back.
    pub fn each<I, F, Fut>(engine: &super::Engine, pieces: I, count: u64, send: F) -> Self
    where
        I: Iterator<Item = Vec<u8>> + Send + 'static,
        F: FnMut(Vec<u8>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = SendOutcome> + Send,
    {
        let schedule = Repeat::new(Duration::ZERO, Duration::ZERO, Some(count.max(1)), 0);
        Self::start_each(engine, schedule, pieces, send)
    }

    /// Resolves once the sends have ended (all made, stopped or failed).
    pub async fn finished(&mut self) {
        let _ = self.done.wait_for(|done| *done).await;
    }

    /// Whether the sends have ended.
    pub fn is_finished(&self) -> bool {
        *self.done.borrow()
    }

    /// Sends made so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The first wait before reconnecting.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest wait before reconnecting.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Reconnect backoff: 1 s, 2 s, 4 s … 30 s, back to 1 s once connected.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    attempts: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next: BACKOFF_FIRST,
            attempts: 0,
        }
    }
}

impl Backoff {
    /// The wait before the next attempt (and the attempt's number, from 1),
    /// doubling the one after, up to [`BACKOFF_MAX`].
    pub fn next_wait(&mut self) -> (Duration, u64) {
        let wait = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        self.attempts += 1;
        (wait, self.attempts)
    }

    /// Connected: the next failure waits [`BACKOFF_FIRST`] again.
    pub fn connected(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_specs_read_as_typed_and_bad_ones_say_why() {
        let ms = Duration::from_millis;
        for (text, every, jitter, count) in [
            ("500", ms(500), ms(0), None),
            ("500ms", ms(500), ms(0), None),
            ("every 1s ±200ms x10", ms(1000), ms(200), Some(10)),
            ("2s jitter 100ms count 5", ms(2000), ms(100), Some(5)),
            ("250ms +-50 x 3", ms(250), ms(50), Some(3)),
            ("1.5s ×2", ms(1500), ms(0), Some(2)),
        ] {
            let spec = RepeatSpec::parse(text).unwrap();
            assert_eq!(
                (spec.every, spec.jitter, spec.count),
                (every, jitter, count),
                "{text}"
            );
        }
        for (bad, why) in [
            ("", "give an interval"),
            ("0", "at least 1 ms"),
            ("0.5ms", "at least 1 ms"),
            ("fast", "not a duration"),
            ("1s x0", "sends nothing"),
            ("1s xmany", "not a whole number"),
            ("1s 2s", "given twice"),
            ("1s jitter", "needs a value"),
            ("99999999s", "out of range"),
        ] {
            let err = RepeatSpec::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert_eq!(
            RepeatSpec::parse("1s ±200ms").unwrap().describe(),
            "every 1 s ±200 ms"
        );
    }

    #[test]
    fn a_count_is_exact_and_jitter_stays_in_bounds() {
        let mut repeat = Repeat::new(
            Duration::from_millis(100),
            Duration::from_millis(20),
            Some(5),
            7,
        );
        let mut waits = Vec::new();
        while let Some(wait) = repeat.sent_one() {
            waits.push(wait);
        }
        assert_eq!(repeat.sent(), 5);
        assert_eq!(waits.len(), 4, "no wait after the last");
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_millis(80) && *w <= Duration::from_millis(120)));
        assert!(!repeat.more());
    }

    #[test]
    fn the_repeat_key_steps_through_the_intervals_then_off() {
        let mut now = None;
        let mut seen = Vec::new();
        for _ in 0..4 {
            now = next_interval(now);
            seen.push(now.map(|d| d.as_millis()));
        }
        assert_eq!(seen, [Some(1000), Some(250), Some(50), None]);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_to_thirty_seconds_on_the_paused_clock() {
        let mut backoff = Backoff::default();
        let started = tokio::time::Instant::now();
        let mut waits = Vec::new();
        for _ in 0..7 {
            let (wait, _) = backoff.next_wait();
            tokio::time::sleep(wait).await;
            waits.push(wait.as_secs());
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(started.elapsed(), Duration::from_secs(91));
        backoff.connected();
        assert_eq!(backoff.next_wait(), (Duration::from_secs(1), 1));
    }
}
