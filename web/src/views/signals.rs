//! The Signals view: the step's signals as flights from sender to
//! receiver, each with its fate (queued, coalesced, ignored, delivered,
//! handler ran, killed, stopped), then each live process's signal state,
//! only what is not the default, alike processes on one card. The content
//! comes from `sigflow` and `sigcards`; this file only draws.
use super::sigcards::{self, Card, Chip, Line};
use super::sigflow::{self, Flight};
use super::ViewProps;
use sim_core::words::count;
use yew::prelude::*;

fn chip_html(chip: &Chip, kind: &str) -> Html {
    let text = match (kind, chip.count) {
        ("ran", n) => format!("{} ×{n}", chip.signal),
        (_, n) if n > 1 => format!("{} ×{n}", chip.signal),
        _ => chip.signal.to_string(),
    };
    let title = format!(
        "{} (signal {}, {})",
        chip.signal,
        chip.signal.number(),
        sigcards::default_words(chip.signal)
    );
    html! {
        <li class={classes!("sg-chip", format!("sg-{kind}"), chip.changed.then_some("changed"))} title={title}>
            if chip.changed {
                <span class="sg-new" aria-hidden="true">{"★"}</span>
                <span class="sg-sr">{"new this step: "}</span>
            }
            { text }
        </li>
    }
}

fn line_html(line: &Line) -> Html {
    html! {
        <div class="sg-line">
            <dt title={line.hint}>{ line.label }</dt>
            <dd><ul class="sg-chips" role="list">{ for line.chips.iter().map(|c| chip_html(c, line.kind)) }</ul></dd>
        </div>
    }
}

fn card_html(card: &Card) -> Html {
    let who = if card.count as usize > card.names.len() {
        format!(
            "{} and {} more ({})",
            card.names.join(", "),
            card.count as usize - card.names.len(),
            count(card.count, "process", "processes")
        )
    } else if card.count > 1 {
        format!("{} (alike)", card.names.join(", "))
    } else {
        card.names.join(", ")
    };
    html! {
        <li key={card.first_pid} class={classes!("sg-card", card.changed.then_some("changed"))}>
            <h3 class="sg-who">{ who }
                if card.changed { <span class="sg-tag">{"changed"}</span> }
            </h3>
            <dl class="sg-lines">
                { for card.lines.iter().map(line_html) }
                if card.nocldwait {
                    <div class="sg-line"><dt>{"flags"}</dt><dd>{"SA_NOCLDWAIT: children are reaped as they die"}</dd></div>
                }
            </dl>
        </li>
    }
}

fn flight_html(i: usize, f: &Flight) -> Html {
    let (from, self_sent) = match &f.from {
        Some(from) => (from.clone(), *from == f.to),
        None => ("(pending)".to_string(), false),
    };
    html! {
        <li key={i} class="sg-flight changed">
            <p class="sg-sr">{ f.sentence() }</p>
            <div class="sg-route" aria-hidden="true">
                <span class={classes!("sg-end", f.from.is_none().then_some("sg-end-pending"))}>{ from }</span>
                <span class={classes!("sg-wire", self_sent.then_some("sg-wire-self"))}>
                    <span class="sg-sig">{ f.signal.to_string() }</span>
                    <span class="sg-dot"></span>
                </span>
                <span class="sg-end">{ f.to.clone() }</span>
                <span class="sg-via">{ f.via.clone() }</span>
            </div>
            <ol class="sg-fates" aria-hidden="true">
                { for f.fates.iter().enumerate().map(|(k, l)| html! {
                    <li class={classes!("sg-fate", format!("sg-fate-{}", l.kind.class()))}
                        style={format!("--k:{k}")}>
                        <span class="sg-mark">{ l.kind.mark() }</span>{ l.words.clone() }
                    </li>
                }) }
            </ol>
        </li>
    }
}

#[function_component(SignalsView)]
pub fn view(props: &ViewProps) -> Html {
    let sim = props.run.sim();
    let Some(now) = sim.world(props.step) else {
        return html! {};
    };
    let before = props.step.checked_sub(1).and_then(|s| sim.world(s));
    let step = props
        .step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize));
    let (flights, more_flights) = step
        .map(|s| sigflow::flights(now, &s.events))
        .unwrap_or_default();
    let cards = sigcards::cards(now, before);
    html! {
        <section class="view" id="view-signals" aria-labelledby="view-signals-title">
            <h2 id="view-signals-title">{"Signals"}</h2>
            if !flights.is_empty() {
                <h3 class="sg-sub">{"This step"}</h3>
                <ol class="sg-flights" role="list">
                    { for flights.iter().enumerate().map(|(i, f)| flight_html(i, f)) }
                    if more_flights > 0 {
                        <li class="sg-more">{ format!("and {} more", count(more_flights as u64, "signal", "signals")) }</li>
                    }
                </ol>
            }
            if cards.cards.is_empty() {
                <p class="sg-plain">{ "Every process has every signal at its default action: nothing caught, ignored, blocked or pending." }</p>
            } else {
                <ul class="sg-cards" role="list">
                    { for cards.cards.iter().map(card_html) }
                </ul>
                if cards.more > 0 {
                    <p class="sg-more">{ format!("and {} more with their own signal state", count(cards.more, "process", "processes")) }</p>
                }
                if cards.plain_count > 0 {
                    <p class="sg-plain">{ format!("All default (nothing caught, ignored, blocked or pending): {}",
                        sim_core::words::short_list(cards.plain.iter(), cards.plain_count as usize)) }</p>
                }
            }
        </section>
    }
}
