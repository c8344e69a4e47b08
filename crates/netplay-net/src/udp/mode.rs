//! What a UDP socket answers: the tutorial's greeting, an echo, nothing,
//! or the rules of rules mode.

/// What a socket does with datagrams it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UdpMode {
    /// Reply `Hello, <data>!` to the sender (the tutorial's server).
    #[default]
    Greet,
    /// Send each datagram back.
    Echo,
    /// Log only.
    Silent,
    /// Answer each datagram by the first matching rule (`net::rules`).
    Rules,
}

impl UdpMode {
    /// Every mode, in cycle order.
    pub const ALL: [UdpMode; 4] = [
        UdpMode::Greet,
        UdpMode::Echo,
        UdpMode::Silent,
        UdpMode::Rules,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            UdpMode::Greet => "greet",
            UdpMode::Echo => "echo",
            UdpMode::Silent => "silent",
            UdpMode::Rules => "rules",
        }
    }

    /// The next mode, wrapping around.
    pub fn next(self) -> Self {
        match self {
            UdpMode::Greet => UdpMode::Echo,
            UdpMode::Echo => UdpMode::Silent,
            UdpMode::Silent => UdpMode::Rules,
            UdpMode::Rules => UdpMode::Greet,
        }
    }
}
