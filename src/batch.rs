//! Grouping texts into inference calls: sorted by length so that little padding is run, and bounded by a token
//! budget so that the work and memory of one call stay small whatever batch size the caller passes.

use crate::tokenize::Tokens;

/// The texts of one inference call, as indices into the caller's batch, and their padded length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub(crate) members: Vec<usize>,
    pub(crate) seq_len: usize,
}

/// Splits texts of the given token counts into groups of similar length with `rows × padded length` at most
/// `token_budget`; a text longer than the budget forms a group of its own. Longest texts come first.
pub(crate) fn plan(lengths: &[usize], token_budget: usize) -> Vec<Group> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
    let mut groups: Vec<Group> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some(group) if (group.members.len() + 1) * group.seq_len <= token_budget => {
                group.members.push(i)
            }
            _ => groups.push(Group {
                members: vec![i],
                seq_len: lengths[i],
            }),
        }
    }
    groups
}

/// The model inputs of one group, row-major `[rows, seq_len]`, padded on the right with id 0 and mask 0.
pub(crate) struct Inputs {
    pub(crate) ids: Vec<i64>,
    pub(crate) mask: Vec<i64>,
    pub(crate) type_ids: Vec<i64>,
}

impl Inputs {
    /// Pads the members' tokens to the group's length.
    pub(crate) fn of(group: &Group, tokens: &[Tokens]) -> Self {
        let size = group.members.len() * group.seq_len;
        let mut inputs = Inputs {
            ids: Vec::with_capacity(size),
            mask: Vec::with_capacity(size),
            type_ids: Vec::with_capacity(size),
        };
        for &member in &group.members {
            let text = &tokens[member];
            let padding = group.seq_len - text.len();
            inputs.ids.extend(
                text.ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, padding)),
            );
            inputs.type_ids.extend(
                text.type_ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, padding)),
            );
            inputs
                .mask
                .extend(std::iter::repeat_n(1, text.len()).chain(std::iter::repeat_n(0, padding)));
        }
        inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_respect_the_budget_and_cover_every_text_once() {
        let lengths = [5, 300, 7, 7, 120, 2, 600, 64, 64, 64, 9];
        let groups = plan(&lengths, 256);
        let mut seen: Vec<usize> = groups.iter().flat_map(|g| g.members.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
        for group in &groups {
            let longest = group.members.iter().map(|&i| lengths[i]).max().unwrap();
            assert_eq!(group.seq_len, longest);
            assert!(group.members.len() == 1 || group.members.len() * group.seq_len <= 256);
        }
        // The two texts longer than the budget run alone.
        assert!(groups.iter().any(|g| g.members == vec![6]));
        assert!(groups.iter().any(|g| g.members == vec![1]));
    }

    #[test]
    fn inputs_are_padded_on_the_right() {
        let tokens = vec![
            Tokens {
                ids: vec![101, 7, 102],
                type_ids: vec![0, 0, 0],
            },
            Tokens {
                ids: vec![101, 102],
                type_ids: vec![0, 0],
            },
        ];
        let group = Group {
            members: vec![0, 1],
            seq_len: 3,
        };
        let inputs = Inputs::of(&group, &tokens);
        assert_eq!(inputs.ids, vec![101, 7, 102, 101, 102, 0]);
        assert_eq!(inputs.mask, vec![1, 1, 1, 1, 1, 0]);
        assert_eq!(inputs.type_ids, vec![0; 6]);
    }
}
