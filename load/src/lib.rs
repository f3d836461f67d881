//! Load scenarios and the open-model capacity sweep for OAuth 2.0 authorization servers,
//! built on goose.
//!
//! - [`environment`]: the target (a target file or the embedded reference server), its
//!   endpoints, and the clients provisioned through the admin API and deleted afterwards;
//! - [`scenarios`]: one module per persona; each turns the environment into goose
//!   transactions named by endpoint and grant, whose response bodies are validated;
//! - [`run`]: `load run`, one goose attack with goose's own options;
//! - [`capacity`]: `load sweep`, goose attacks paced by intended send time (run by
//!   [`generator`], in this process or in several), judged and reported by [`sweep`];
//! - [`lean`]: the HTTP/1 client of the sweep's `healthz` and `client_credentials` users (one
//!   kept connection per user, driven in the user's task, requests built once at its setup);
//! - [`goose_report`]: the note `load` puts at the top of goose's own `report.html`;
//! - [`cli`]: the command line.

pub mod capacity;
pub mod cli;
pub mod environment;
pub mod generator;
pub mod goose_report;
pub mod http;
pub mod lean;
pub mod run;
pub mod scenarios;
pub mod sweep;
