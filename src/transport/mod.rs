//! Transports: real HTTP(S) with one authenticated TCP connection per security context, and an in-process transport to the lab.
