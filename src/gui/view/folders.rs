//! Step 2: the folders of the ticked stores, as trees with a tick and a count per folder; a
//! parent's box shows whether all, none or some of what lies below it is ticked.

use egui::accesskit::Role;
use egui::{RichText, Ui};

use crate::gui::state::AppState;
use crate::gui::tree::{Check, FolderTree};
use crate::gui::workers::SourceId;

use super::{count, messages, name};

/// How far each level of the tree is indented.
const INDENT: f32 = 20.0;

/// A click on the tree, applied once drawing is done.
enum Click {
    Toggle(SourceId, usize),
    Expand(SourceId, usize, bool),
    Store(SourceId, bool),
    /// "Fetch N messages from …": the password form for an account of a store.
    Fetch(SourceId, String),
}

pub fn show(ui: &mut Ui, state: &mut AppState) {
    ui.heading("Which folders?");
    ui.label("Tick the folders to convert. Their place in the tree is kept in the PST.");
    super::keychain_notice(ui, state);
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Select all").clicked() {
            state.select_all(true);
        }
        if ui.button("Select none").clicked() {
            state.select_all(false);
        }
        ui.add_space(12.0);
        let label = ui.label("Filter:");
        ui.add(
            egui::TextEdit::singleline(&mut state.folder_filter)
                .hint_text("folder name")
                .desired_width(200.0),
        )
        .labelled_by(label.id);
        if !state.folder_filter.is_empty() && ui.small_button("Clear filter").clicked() {
            state.folder_filter.clear();
        }
    });
    ui.label(format!(
        "{} {} selected, {}",
        count(state.selected_folders() as u64),
        if state.selected_folders() == 1 {
            "folder"
        } else {
            "folders"
        },
        messages(state.selected_messages())
    ));
    ui.add_space(6.0);

    let filter = state.folder_filter.clone();
    let mut clicks = Vec::new();
    for (id, ready) in state.ready_sources() {
        let tree = &ready.tree;
        ui.horizontal(|ui| {
            let check = tree.check_all();
            let mut checked = check == Check::Checked;
            let response = ui.add(
                egui::Checkbox::new(&mut checked, RichText::new(&ready.listing.name).strong())
                    .indeterminate(check == Check::Mixed),
            );
            if response.clicked() {
                clicks.push(Click::Store(id, check != Check::Checked));
            }
            ui.weak(messages(tree.messages()));
        });
        for gap in &ready.listing.gaps {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(INDENT);
                if let Some(server) = ready.fetching.get(&gap.gap.account) {
                    ui.label(format!(
                        "{} of {} that {} never downloaded will be fetched from {server}.",
                        messages(gap.messages),
                        gap.account,
                        ready.listing.kind.label()
                    ));
                    return;
                }
                match &gap.gap.server {
                    Ok(server) => {
                        ui.label(format!(
                            "{} of {} are only on its server: {} never downloaded them.",
                            messages(gap.messages),
                            gap.account,
                            ready.listing.kind.label()
                        ));
                        let offer =
                            format!("Fetch {} from {}…", messages(gap.messages), server.host);
                        if ui.button(offer).clicked() {
                            clicks.push(Click::Fetch(id, gap.gap.account.clone()));
                        }
                    }
                    Err(why) => {
                        ui.label(
                            RichText::new(format!(
                                "{} of {} are only on its server and cannot be fetched: {why}",
                                messages(gap.messages),
                                gap.account
                            ))
                            .color(ui.visuals().warn_fg_color),
                        );
                    }
                }
            });
        }
        let roots: Vec<usize> = tree.roots().collect();
        if roots.iter().all(|&root| !tree.matches(root, &filter)) {
            ui.weak("    No folder matches the filter.");
        }
        for root in roots {
            folder_rows(ui, id, tree, root, &filter, &mut clicks);
        }
        ui.add_space(8.0);
    }
    for click in clicks {
        match click {
            Click::Toggle(id, folder) => state.toggle_folder(id, folder),
            Click::Expand(id, folder, expanded) => state.set_folder_expanded(id, folder, expanded),
            Click::Store(id, selected) => state.set_store_selected(id, selected),
            Click::Fetch(id, account) => state.open_gap_form(id, &account),
        }
    }
}

/// One folder's row, then those of its subfolders when it is open (always while filtering).
fn folder_rows(
    ui: &mut Ui,
    id: SourceId,
    tree: &FolderTree,
    index: usize,
    filter: &str,
    clicks: &mut Vec<Click>,
) {
    let Some(node) = tree.node(index) else {
        return;
    };
    if !tree.matches(index, filter) {
        return;
    }
    let filtering = !filter.trim().is_empty();
    let open = node.expanded || filtering;
    ui.horizontal(|ui| {
        ui.add_space(INDENT * (tree.depth(index) + 1) as f32);
        if node.children.is_empty() {
            ui.add_space(ui.spacing().icon_width);
        } else {
            let size = egui::Vec2::splat(ui.spacing().icon_width);
            let sense = if filtering {
                egui::Sense::hover()
            } else {
                egui::Sense::click()
            };
            let (_, response) = ui.allocate_exact_size(size, sense);
            egui::collapsing_header::paint_default_icon(
                ui,
                if open { 1.0 } else { 0.0 },
                &response,
            );
            let verb = if open { "Collapse" } else { "Expand" };
            name(&response, Role::Button, format!("{verb} {}", node.name));
            if response.clicked() {
                clicks.push(Click::Expand(id, index, !open));
            }
        }
        let check = tree.check(index);
        let mut checked = check == Check::Checked;
        let response = ui.add(
            egui::Checkbox::new(&mut checked, node.name.as_str())
                .indeterminate(check == Check::Mixed),
        );
        if response.clicked() {
            clicks.push(Click::Toggle(id, index));
        }
        let counted = if node.children.is_empty() || node.total == node.count {
            count(node.count)
        } else {
            format!(
                "{} ({} with subfolders)",
                count(node.count),
                count(node.total)
            )
        };
        ui.weak(counted);
        for note in &node.notes {
            ui.label(RichText::new(format!("Note: {note}")).color(ui.visuals().warn_fg_color));
        }
    });
    if open {
        for &child in &node.children {
            folder_rows(ui, id, tree, child, filter, clicks);
        }
    }
}
