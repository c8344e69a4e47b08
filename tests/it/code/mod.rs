//! The code views: the generated programs run against netplay.

mod python;
mod unix;
