//! Many threads on one expander get exactly what one thread gets.

mod common;

use std::sync::Arc;

use spladerunner::{Expander, Options};

fn threads_agree_with_one_thread(options: Options) {
    let texts = Arc::new(common::parity_texts());
    let expander = Arc::new(Expander::new(common::model("splade-tiny"), options).unwrap());
    let serial: Vec<_> = texts.iter().map(|t| expander.expand(t).unwrap()).collect();
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let (texts, expander) = (Arc::clone(&texts), Arc::clone(&expander));
            std::thread::spawn(move || {
                // Each thread walks the texts from a different starting point, so calls interleave.
                let n = texts.len();
                (0..n)
                    .map(|k| {
                        let i = (k + worker * 17) % n;
                        (i, expander.expand(&texts[i]).unwrap())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for worker in workers {
        for (i, vector) in worker.join().unwrap() {
            assert_eq!(
                vector, serial[i],
                "text {i} differs between threads and one thread"
            );
        }
    }
}

#[test]
fn eight_threads_sharing_one_session() {
    threads_agree_with_one_thread(Options::default());
}

#[test]
fn eight_threads_over_four_sessions() {
    threads_agree_with_one_thread(Options::default().with_sessions(4).with_intra_op_threads(1));
}

#[test]
fn expander_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Expander>();
}
