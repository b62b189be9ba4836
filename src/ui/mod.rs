//! The egui/eframe console.
