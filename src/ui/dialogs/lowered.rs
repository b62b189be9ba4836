//! Asks, after an import, whether to keep settings that lower security
//! (Basic over HTTP, AllowUnencrypted, SkipCACheck, CredSSP, …): a shared
//! file must not quietly make the next connection send a password in clear.

use egui::{Id, RichText};

use crate::ui::profile_editor::LoweredByImport;

/// The user's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Clear those settings on what the import added.
    MakeSafe,
    /// Keep them as imported.
    Keep,
}

/// Shows the question; returns the answer once given.
pub fn show(ctx: &egui::Context, lowered: &LoweredByImport) -> Option<Answer> {
    let mut answer = None;
    egui::Modal::new(Id::unique("baton_import_lowers_security")).show(ctx, |ui| {
        ui.set_max_width(620.0);
        ui.heading("Imported settings lower security");
        ui.label(format!(
            "The file you imported sets {} computer(s) to connect less safely than PowerShell does by default:",
            lowered.computers.len()
        ));
        egui::ScrollArea::vertical()
            .max_height(240.0)
            .show(ui, |ui| {
                for c in &lowered.computers {
                    ui.label(RichText::new(format!("{}: {}", c.path, c.settings.join(", "))).strong());
                }
            });
        ui.label(
            "Keep them only if you know why they are there (a test lab, say). Making them safe clears these settings on what the import added; your own groups stay as they are.",
        );
        ui.horizontal(|ui| {
            if ui.button("Make them safe").clicked() {
                answer = Some(Answer::MakeSafe);
            }
            if ui.button("Keep these settings").clicked() {
                answer = Some(Answer::Keep);
            }
        });
    });
    answer
}
