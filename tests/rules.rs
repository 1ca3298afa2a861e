//! Rule kinds and shapes, each with junk that must go and look-alike prose
//! that must stay. All texts here are written for the tests.

use dejunk::{Cleaner, CleanerBuilder, Removal, Scope};

fn clean(text: &str) -> String {
    Cleaner::new().clean_str(text)
}

/// Asserts that `junk` (one paragraph) disappears between two prose
/// paragraphs.
fn goes(junk: &str) {
    let text = format!("The council met on Tuesday.\n\n{junk}\n\nIt will meet again in May.\n");
    assert_eq!(
        clean(&text),
        "The council met on Tuesday.\n\nIt will meet again in May.\n",
        "junk kept: {junk:?}"
    );
}

/// Asserts that `prose` stays as it is.
fn stays(prose: &str) {
    let text = format!("{prose}\n");
    assert_eq!(clean(&text), text, "prose changed: {prose:?}");
}

/// The removals made on `text`: (category, rule, scope, removed text).
fn removals(text: &str) -> Vec<(String, String, Scope, String)> {
    let mut v = Vec::new();
    Cleaner::new().clean_str_with(text, |r: &Removal<'_>| {
        v.push((
            r.category.to_string(),
            r.rule.to_string(),
            r.scope,
            r.text.to_string(),
        ))
    });
    v
}

#[test]
fn ad_markers() {
    goes("Advertisement");
    goes("Story continues below advertisement");
    assert_eq!(
        clean("The mayor smiled at the crowd. Advertisement\n"),
        "The mayor smiled at the crowd.\n"
    );
    stays("The advertisement ran on television for a week.");
    stays("Ad hoc committees met twice.");
}

#[test]
fn photo_credits() {
    goes("Photo: Jane Doe/Getty Images");
    goes("Jane Doe/AFP/Getty Images");
    goes("Jo Roe / AP");
    goes("Getty Images");
    stays("The photo was taken by Jane Doe.");
    stays("Getty Images bought the archive in 2001, the company said.");
    assert_eq!(
        clean("The mayor waved to the crowd on Monday. Photo: Jane Doe/Getty Images\n"),
        "The mayor waved to the crowd on Monday.\n"
    );
    assert_eq!(
        clean("She left the hall (Photo: Jo Roe, AP) before noon.\n"),
        "She left the hall before noon.\n"
    );
    // A photographer and the pool that sent the picture go together.
    assert_eq!(
        clean(
            "The duchess smiled at the gala on Friday. Photo: Jane Doe - Example Pool/Getty Images\n"
        ),
        "The duchess smiled at the gala on Friday.\n"
    );
    // A credit line takes the rest of its line, but only a credit's
    // worth (at most 30 words): a paragraph that the page glued to a
    // credit stays, credit and all, rather than go with it.
    goes("Photo: Getty Images / Jane Doe");
    goes("AP Photo/Jane Doe, File");
    stays(
        "AP Photo/Jo Roe This is not the first time the prince has met members of the \
         family. In 2015, during his own trip to the country, he met the widow and \
         visited the island cell and the office where a photo of their meeting hangs.",
    );
    stays(
        "Photo: Getty If you have set foot in a drugstore lately, chances are you have \
         been bombarded by a bewildering array of creams. The alphabet formulations \
         have joined tinted moisturizers and serums on the shelves, and we break it \
         down for you here.",
    );
}

#[test]
fn captions_with_credits() {
    // A caption fragment with its credit goes whole ...
    goes("Jane Doe and John Roe at the gala in 2019 (Picture: Getty)");
    // ... a caption that is a clause of the story keeps its words.
    assert_eq!(
        clean("Jane Doe was all smiles at the gala (Picture: Getty)\n"),
        "Jane Doe was all smiles at the gala\n"
    );
    goes(
        "LOS ANGELES, CA - MAY 21: Jane Doe attends the Example Awards in Los Angeles, California.",
    );
    stays("In Los Angeles, the awards were held on May 21.");
}

#[test]
fn embedded_post_signatures() {
    assert_eq!(
        clean("What a day! pic.twitter.com/AbCdEf1 — Jane Doe (@janedoe) May 3, 2019\n"),
        "What a day!\n"
    );
    assert_eq!(
        clean("Back home A post shared by Jane Doe (@janedoe) on May 31, 2018 at 12:49pm PDT\n"),
        "Back home\n"
    );
    goes("— Jane Doe (@janedoe) May 3, 2019");
    stays("She wrote — and we quote — that the day was long.");
}

#[test]
fn cuts_never_split_a_token() {
    // The link is glued to a word: cutting it would invent `proud!`.
    stays("We are so proud!pic.twitter.com/AbCdEf1");
}

#[test]
fn teasers_with_markers() {
    goes("READ MORE: Ten things you did not know about the mayor's dog");
    goes("RELATED: The council's budget, explained");
    goes("MORE: Jane Doe opens up about her new film");
    goes("Also Read: Why the bridge closed for a week");
    stays("Read more books, she told the children.");
    stays("More than 300 people came to the meeting on Friday evening.");
    assert_eq!(
        clean("The star wore red. Click here to see more pics of the star.\n"),
        "The star wore red.\n"
    );
}

#[test]
fn related_box_takes_its_headlines() {
    let text = "The council met on Tuesday to set the budget.\n\nRelated Stories:\n\nTen Bridges To See Before You Die\n\nWhy The Mayor Loves Dogs\n\nThe vote is due in May, officials said on Tuesday.\n";
    assert_eq!(
        clean(text),
        "The council met on Tuesday to set the budget.\n\nThe vote is due in May, officials said on Tuesday.\n"
    );
    // The box ends at prose, and a paragraph that leads into a quote with
    // a colon is prose.
    let text = "The council met on Tuesday.\n\nRelated Stories:\n\nTen Bridges To See Before You Die\n\nIn a letter to residents on Friday, the mayor wrote:\n\n\"We will build it.\"\n";
    assert_eq!(
        clean(text),
        "The council met on Tuesday.\n\nIn a letter to residents on Friday, the mayor wrote:\n\n\"We will build it.\"\n"
    );
}

#[test]
fn share_bars_and_counters() {
    goes("Facebook Twitter Pinterest");
    goes("Share | Tweet | Email");
    goes("302 SHARES");
    goes("3 total views, 3 views today");
    goes("Click to share on Facebook (Opens in new window)");
    stays("Facebook and Twitter banned him on Monday.");
    stays("302 people came to the meeting.");
    stays("Share the road, the sign said.");
}

#[test]
fn slideshow_counters_and_links() {
    goes("Hide Caption 15 of 66");
    goes("1 of 88");
    goes("https://t.co/AbC123");
    goes("@janedoe");
    stays("It was one of the best nights of the year.");
    stays("Visit https://example.com for the full report, the city said.");
}

#[test]
fn video_cards() {
    let text = "The talks went on.\n\nobama putin\nWill the talks help?\n02:19 - Source: CNN\n\nThe leaders spoke by phone on Monday afternoon.\n";
    assert_eq!(
        clean(text),
        "The talks went on.\n\nThe leaders spoke by phone on Monday afternoon.\n"
    );
    let text = "The talks went on.\n\nJUST WATCHED\n\nWhy The Talks Matter\n\nReplay\n\nMore Videos ...\n\nMUST WATCH\n\nThe leaders spoke by phone on Monday afternoon, the Kremlin said.\n";
    assert_eq!(
        clean(text),
        "The talks went on.\n\nThe leaders spoke by phone on Monday afternoon, the Kremlin said.\n"
    );
    goes(
        "Why The Talks Matter This video is unavailable because we were unable to load a message from our sponsors.",
    );
}

#[test]
fn bylines_and_tags() {
    goes("By Jane Doe");
    goes("CNN —");
    goes("Updated: Jul 01, 2018 17:00 IST");
    goes("Write to Jane Doe at jane.doe@example.com.");
    goes("Jane Doe and John Roe contributed to this report.");
    stays("By Monday, the talks had stalled.");
    stays("By 2020, he believes, the bridge will be finished.");
}

/// JUNK.md keeps editors' notes: the note on how an interview was edited
/// is one.
#[test]
fn editors_notes_stay() {
    stays("This interview has been edited and condensed.");
    stays("This interview has been edited for length and clarity.");
    stays("Editor's note: An earlier version of this story misstated the date.");
}

#[test]
fn datelines_are_opt_in() {
    let text = "WASHINGTON (Reuters) - The president said on Monday that the talks would go on.\n";
    assert_eq!(clean(text), text);
    let cleaner = CleanerBuilder::new().enable("dateline").build().unwrap();
    assert_eq!(
        cleaner.clean_str(text),
        "The president said on Monday that the talks would go on.\n"
    );
}

#[test]
fn newsletter_prompts() {
    goes(
        "Sign up for our daily newsletter to get the best stories delivered straight to your inbox.",
    );
    goes("Get push notifications with news, features and more.");
    goes(
        "Please verify you're not a robot by clicking the box. Invalid email address. Please re-enter.",
    );
    stays("She said she would sign up for the army. It was 1999.");
    stays("I didn't sign up for the drama, she said.");
}

/// Prompts that open their sentence go; the same words inside a sentence
/// of the article are the article's. Each `stays` line was removed whole
/// before the prompt entries became case-sensitive (they are written for
/// the test, after lines of the bulk corpus that went).
#[test]
fn prompt_words_inside_a_sentence_stay() {
    goes("Can’t get enough of our royal coverage? Sign up for our newsletter to get the latest.");
    goes("Follow her on Twitter and Instagram!");
    goes("Download the Example app on your phone for more stories.");
    goes("Don't forget to follow Example Style on Instagram and Twitter.");
    goes("Reach Jane Doe at jane@example.com and follow her on Twitter @janedoe.");
    goes("For more from Jane Doe, follow her on Instagram");
    goes(
        "Watch the special on ExampleTV.com or download the app on your favorite streaming device.",
    );
    stays("The singer just can’t get enough of her new puppy.");
    stays("We can't get enough of these twins!");
    stays("“You can’t get enough of each other at that stage,” a friend said.");
    stays("Even though he doesn't follow her on Instagram, he liked the photo.");
    stays("If you follow the mayor on Twitter, you saw the whole thing unfold.");
    stays("You have to download the Example Burgers app to get the coupon.");
    stays("\"Their music is everywhere.\"");
    stays("Love is everywhere");
    goes("E! Is Everywhere");
    // Paragraphs glued without a space after the period still end their
    // sentences: a prompt glued to prose does not take the prose with it,
    // and glued prompts still go.
    stays("The band played until midnight.Share it in the comments below.");
    goes("Sign up for our newsletter.Follow us on Twitter.");
}

#[test]
fn reader_questions_go_only_with_junk_sentences() {
    goes(
        "Are you excited? Who will you root for? Let me know on Twitter (@janedoe) and be sure to follow all of our coverage right here.",
    );
    stays("Are you excited? She said she was.");
    stays("What do you think?");
    stays("Who will win? Let us know below!");
}

#[test]
fn legal_promo_comments_browser() {
    goes("Copyright © 2017 Example News Ventures. All rights reserved.");
    goes("This site uses cookies to improve your experience.");
    goes(
        "Got a showbiz story? If you have a tip, get in touch with the Example team by emailing tips@example.com.",
    );
    goes("For the full story see this week's issue of Example Weekly - out now!");
    goes("Add your two cents.");
    goes("JavaScript is required to load the comments.");
    goes("Yes! Oui! Ja! Si");
    stays("The copyright on the song ran out in 2017, the court said.");
    stays("She left a comment on the mayor's page, then deleted it.");
}

#[test]
fn repeated_titles_and_author_boxes() {
    goes("Ten ways to wear a red scarf this winter Style Ten ways to wear a red scarf this winter");
    goes("About Jo Roe Jo Roe is a writer in Leeds. She likes tea.");
    stays("About Time is a film by Richard Curtis.");
    // Longer than 200 bytes, where only these two shapes look.
    let title = "Ten ways to wear a red scarf this winter without looking like everybody else on the bus, \
                 according to the stylists who dress the stars";
    let long = format!("{title} Style {title}");
    assert!(long.len() > 200);
    goes(&long);
    let bio = format!(
        "About Jo Roe Jo Roe is a writer in Leeds. {}",
        "She likes tea and long walks by the river in the rain. ".repeat(4)
    );
    assert!(bio.len() > 200);
    goes(&bio);
}

#[test]
fn short_line_shapes_leave_long_lines() {
    // Each of these shapes takes lines of up to 200 bytes only.
    for (line, shape) in [
        ("Facebook Messenger Tumblr", "shape:share-bar"),
        ("302 shares 12 comments", "shape:counter"),
        ("@jane @joe https://t.co/x", "shape:link-line"),
    ] {
        let r = removals(&format!("{line}\n"));
        assert!(r.iter().any(|r| r.1 == shape), "{line}: {r:?}");
        let long = format!("{}\n", [line; 12].join(" "));
        assert!(long.len() > 200);
        let r = removals(&long);
        assert!(r.iter().all(|r| r.1 != shape), "{long}: {r:?}");
    }
}

#[test]
fn shapes_are_reported_and_switched_by_category() {
    let r = removals("Facebook Messenger Tumblr\n");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "social");
    assert_eq!(r[0].1, "shape:share-bar");
    assert_eq!(r[0].2, Scope::Line);
    let cleaner = CleanerBuilder::new().disable("social").build().unwrap();
    assert_eq!(
        cleaner.clean_str("Facebook Messenger Tumblr\n"),
        "Facebook Messenger Tumblr\n"
    );
    let cleaner = CleanerBuilder::new().disable("media").build().unwrap();
    assert_eq!(
        cleaner.clean_str("Photo: Jane Doe/Getty Images\n"),
        "Photo: Jane Doe/Getty Images\n"
    );
}

#[test]
fn sentence_rules_from_a_pattern_file() {
    let cleaner = CleanerBuilder::new()
        .builtin(false)
        .patterns_str(
            "promo.txt",
            "[line sentence]\ntip line\n[span sentence end]\ncall our tip line\n",
        )
        .build()
        .unwrap();
    // A paragraph made only of junk sentences goes.
    assert_eq!(cleaner.clean_str("Call our tip line now!\n"), "");
    // At the end of a paragraph, the sentence is cut.
    assert_eq!(
        cleaner.clean_str("The mayor spoke. Please call our tip line today.\n"),
        "The mayor spoke.\n"
    );
    let e = CleanerBuilder::new()
        .patterns_str("x.txt", "[shape]\nno-such-shape\n")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("unknown shape"), "{e}");
}

#[test]
fn diff_view_marks_removals() {
    let cleaner = Cleaner::new();
    let view = dejunk::diff_str(
        &cleaner,
        "Advertisement\n\nShe left (Photo: Jo Roe, AP) early.\nFacebook Twitter Pinterest\n",
    );
    assert_eq!(
        view,
        "- Advertisement\n\n  She left [-(Photo: Jo Roe, AP)-] early.\n- Facebook Twitter Pinterest\n"
    );
}

#[test]
fn relative_timestamps_paywall_pitches_and_messenger() {
    goes("Published 3 hours ago");
    goes("Updated: 45 minutes ago");
    goes("Enjoy unlimited access to all of our journalism. Subscribe now for just $1 a week.");
    goes("Share this with\nEmail\nFacebook\nMessenger\nTwitter");
    stays("The report was published 3 hours ago by the ministry.");
    stays("She said readers enjoy unlimited access to the archive, which pleased the board.");
    stays("Messenger apps were banned at the school last year, the principal said.");
}
