//! Surfaces a file, a pasted text or a typed command line controls.

use super::Surface;

pub(super) const SURFACES: &[Surface] = &[];
