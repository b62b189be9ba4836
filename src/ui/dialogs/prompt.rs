//! Answer a Read-Host prompt of a running command.

use egui::{Id, RichText};
use zeroize::{Zeroize, Zeroizing};

use super::field;
use crate::ui::state::PendingPrompt;

/// Shows the prompt; returns the answer once given (the buffer is wiped).
pub fn show(
    ctx: &egui::Context,
    prompt: &PendingPrompt,
    answer: &mut Zeroizing<String>,
) -> Option<Zeroizing<String>> {
    let mut given = None;
    egui::Modal::new(Id::unique("baton_prompt")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading(format!("{} asks for input", prompt.computer));
        ui.label(RichText::new(&prompt.prompt).strong());
        field(
            ui,
            "Answer",
            egui::TextEdit::singleline(&mut **answer).password(prompt.secure),
        );
        if ui.button("Send answer").clicked() {
            given = Some(Zeroizing::new(answer.as_str().to_owned()));
            answer.zeroize();
        }
    });
    given
}
