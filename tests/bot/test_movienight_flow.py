"""The group conversation layer with the real model and a real SQLite file: starting a movie
night, joining, the deep link for members without ratings, suggesting, voting, expiry."""

from __future__ import annotations

import numpy as np
import pytest

from bot import callbacks as cb
from bot.movienight import flow as group_module
from bot.movienight.flow import STALE_AFTER_S, Group, GroupChat, GroupOutcome, StopRequest
from bot.replies import EXPIRED, Person, Reply
from bot.service import PERSONAL_AFTER, MovieService
from recsys.data import Dataset

CLUB = GroupChat(-100, "Film club", "moviebot_test_bot")
OTHER = GroupChat(-200, "Other club", "moviebot_test_bot")
ALICE = Person(1, "Alice", "en")
BOB = Person(2, "Bob", "en")
CAROL = Person(3, "Carol <3", "en")
NIGHT_MESSAGE, POLL_MESSAGE = 10, 12
LINK = "https://t.me/moviebot_test_bot?start=rate"

# Alice likes science fiction, Bob likes comedies; both rated Star Wars (50).
ALICE_RATES = {50: 5.0, 172: 5.0, 181: 4.5, 82: 4.0, 96: 4.5, 8: 2.0, 69: 2.5}
BOB_RATES = {50: 3.0, 1: 4.0, 8: 5.0, 69: 4.5, 94: 4.0, 174: 3.5, 204: 2.0}
CAROL_RATES = {100: 4.0}  # too few to be counted
CAROL_DISMISSES = 127


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def group(service: MovieService) -> Group:
    for person, rates in ((ALICE, ALICE_RATES), (BOB, BOB_RATES), (CAROL, CAROL_RATES)):
        await service.register(person.user_id, person.first_name, person.language)
        for item, stars in rates.items():
            await service.rate(person.user_id, item, stars)
    await service.dismiss(CAROL.user_id, CAROL_DISMISSES, "not_interested")
    return Group(service)


async def start(group: Group, args: str = "", chat: GroupChat = CLUB) -> tuple[int, Reply]:
    out = await group.command(ALICE, chat, "movienight", args, addressed=False)
    assert out.night_post is not None, out
    night_id, reply = out.night_post
    await group.night_posted(night_id, NIGHT_MESSAGE)
    return night_id, reply


async def press(
    group: Group,
    person: Person,
    action: cb.Action,
    message_id: int = NIGHT_MESSAGE,
    chat: GroupChat = CLUB,
) -> GroupOutcome:
    return await group.button(person, chat, message_id, cb.build(action))


async def votes(group: Group, chosen: dict[Person, int]) -> None:
    """Each person votes for one option of the night's poll ("poll-1")."""
    for person, option in chosen.items():
        await group.poll_answer("poll-1", person.user_id, [option])


def labels(reply: Reply) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


def edited_text(out: GroupOutcome) -> str:
    [(message_id, reply)] = out.edits
    assert message_id == NIGHT_MESSAGE
    return reply.text


async def everyone_in(group: Group, night_id: int) -> None:
    for person in (ALICE, BOB, CAROL):
        await press(group, person, cb.NightJoin(night_id))


async def suggest(group: Group, night_id: int) -> GroupOutcome:
    out = await press(group, ALICE, cb.NightSuggest(night_id))
    assert out.vote is not None, out
    await group.vote_posted(night_id, "poll-1", POLL_MESSAGE)
    return out


# -- starting -----------------------------------------------------------------------------------


async def test_movienight_posts_one_message_and_a_second_one_says_so(group: Group) -> None:
    night_id, reply = await start(group)
    assert reply.text.startswith("<b>Movie night!</b> Who's in?")
    assert labels(reply) == ["I'm in", "I'm out", "Suggest"]
    assert cb.parse(reply.buttons[0][0].data or "") == cb.NightJoin(night_id)

    again = await group.command(BOB, CLUB, "movienight", "", addressed=True)
    assert again.night_post is None
    assert "already a movie night" in again.send[0].text
    night = await group.service.storage.current_night(CLUB.chat_id)
    assert night is not None and (night.night_id, night.message_id) == (night_id, NIGHT_MESSAGE)


async def test_a_filter_shows_in_the_message_and_a_bad_one_is_explained(group: Group) -> None:
    bad = await group.command(ALICE, CLUB, "movienight", "westerns of mars", addressed=True)
    assert bad.night_post is None and "I don't know the genre" in bad.send[0].text
    _, reply = await start(group, "comedy 1990s")
    # It read "Movie night! — comedy from the 1990s Who's in?"
    assert reply.text.startswith("<b>Movie night — comedy from the 1990s!</b> Who's in?")


async def test_a_filter_over_a_handful_of_films_is_refused_before_anyone_is_asked(
    group: Group,
) -> None:
    out = await group.command(ALICE, CLUB, "movienight", "1942", addressed=True)
    assert out.night_post is None and "too few for a movie night" in out.send[0].text
    assert await group.service.storage.current_night(CLUB.chat_id) is None


async def test_a_filter_no_film_matches_says_where_the_films_stop(group: Group) -> None:
    out = await group.command(ALICE, CLUB, "movienight", "2010s", addressed=True)
    assert out.night_post is None
    assert "my films come from ml-100k, which stops in 1998" in out.send[0].text
    assert await group.service.storage.current_night(CLUB.chat_id) is None


async def test_a_stale_night_gives_way_to_a_new_one(service: MovieService) -> None:
    clock = Clock()
    group = Group(service, clock=clock)
    old, _ = await start(group)
    night = await service.storage.night(old)
    assert night is not None
    clock.now = night.created_at + STALE_AFTER_S - 1
    assert (await group.command(ALICE, CLUB, "movienight", addressed=False)).night_post is None
    clock.now += 2
    out = await group.command(ALICE, CLUB, "movienight", addressed=False)
    assert out.night_post is not None and out.night_post[0] != old
    assert [(m, "ran out of time" in r.text) for m, r in out.edits] == [(NIGHT_MESSAGE, True)]
    night = await service.storage.night(old)
    assert night is not None and night.status == "cancelled"


async def test_a_night_whose_message_never_got_out_gives_way_at_once(group: Group) -> None:
    lost = await group.command(ALICE, CLUB, "movienight", addressed=False)
    assert lost.night_post is not None  # ...but the send failed, or the bot died: no message
    out = await group.command(BOB, CLUB, "movienight", addressed=False)
    assert out.night_post is not None and out.night_post[0] != lost.night_post[0]
    assert out.send == [] and out.edits == []  # no "tap I'm in above": there is nothing above
    night = await group.service.storage.night(lost.night_post[0])
    assert night is not None and night.status == "cancelled"


# -- joining ------------------------------------------------------------------------------------


async def test_joining_and_leaving_keep_the_list_of_first_names(group: Group) -> None:
    night_id, _ = await start(group)
    out = await press(group, ALICE, cb.NightJoin(night_id))
    assert out.notice == "You're in!" and out.send == []
    assert "In so far (1): Alice" in edited_text(out)
    out = await press(group, BOB, cb.NightJoin(night_id))
    assert "Alice, Bob" in edited_text(out)
    assert labels(out.edits[0][1]) == ["I'm in", "I'm out", "Suggest"]
    again = await press(group, BOB, cb.NightJoin(night_id))
    assert again.notice == "You're already in." and again.edits == []
    out = await press(group, ALICE, cb.NightLeave(night_id))
    assert out.notice == "You're out."
    assert "In so far (1): Bob" in edited_text(out)
    assert (await press(group, ALICE, cb.NightLeave(night_id))).edits == []


async def test_a_member_without_ratings_gets_the_deep_link_once(group: Group) -> None:
    night_id, _ = await start(group)
    out = await press(group, CAROL, cb.NightJoin(night_id))
    assert "Carol &lt;3" in edited_text(out)  # joined all the same; names are escaped
    assert out.send == [] and out.hint_post is not None
    hint_night, hint = out.hint_post
    assert hint_night == night_id
    assert hint.text.startswith("Carol &lt;3, you're in!") and "leave you out" in hint.text
    assert [b.url for row in hint.buttons for b in row] == [LINK]
    assert out.notice is not None and "Rate a few films" in out.notice
    group.hint_posted(night_id, NIGHT_MESSAGE + 1)
    await press(group, CAROL, cb.NightLeave(night_id))
    rejoined = await press(group, CAROL, cb.NightJoin(night_id))
    assert rejoined.send == [] and rejoined.hint_post is None
    assert rejoined.notice == "You're in!" and len(rejoined.edits) == 1

    # The next one without ratings is added to the same message, not told in a new one.
    dave = await press(group, Person(4, "Dave", "en"), cb.NightJoin(night_id))
    assert dave.send == [] and dave.hint_post is None
    hint_id, grown = dave.edits[1]
    assert hint_id == NIGHT_MESSAGE + 1 and grown.text.startswith("Carol &lt;3, Dave, you're in!")


async def test_a_night_of_500_long_names_fits_in_one_message(group: Group) -> None:
    night_id, _ = await start(group)
    for user_id in range(100, 600):
        out = await press(
            group, Person(user_id, f"{user_id}-" + "x" * 40, None), cb.NightJoin(night_id)
        )
    text = edited_text(out)
    assert (
        len(text) < 4096
        and "In so far (500)" in text
        and text.endswith(
            "When everyone's in, tap Suggest and I'll pick films for the whole group."
        )
    )
    assert " more" in text
    await press(group, ALICE, cb.NightJoin(night_id))
    await press(group, BOB, cb.NightJoin(night_id))
    suggested = await press(group, ALICE, cb.NightSuggest(night_id))
    [picks] = suggested.send
    assert suggested.vote is not None and len(picks.text) < 4096
    assert "Not counted yet" in picks.text and " more." in picks.text


# -- suggesting and voting ----------------------------------------------------------------------


async def test_suggest_puts_five_films_nobody_rated_to_a_poll(
    group: Group, service: MovieService
) -> None:
    night_id, _ = await start(group)
    await everyone_in(group, night_id)
    out = await press(group, ALICE, cb.NightSuggest(night_id))

    assert out.vote is not None and len(out.vote.options) == 5
    assert labels(Reply("", out.vote.buttons)) == ["Close vote"]
    text = edited_text(out)
    assert "Alice, Bob, Carol &lt;3" in text and "vote in the poll" in text
    assert out.edits[0][1].buttons == []  # no more joining once the picks are out
    [picks] = out.send
    assert picks.text.count("for the group") == 5
    assert "For Alice, Bob\n" in picks.text
    assert "Not counted yet (too few ratings with me): Carol &lt;3." in picks.text
    assert "suits" not in picks.text, "the picks must not tell the group what one member likes"

    ballot = await service.storage.ballot(night_id)
    assert ballot is not None and len(ballot.films) == 5
    shown = [item for item, _ in ballot.films]
    seen = {*ALICE_RATES, *BOB_RATES, *CAROL_RATES, CAROL_DISMISSES}
    assert not seen & set(shown), "a film someone rated or dismissed was suggested"
    assert out.vote.options == [f"{service.film(i).title} ({service.film(i).year})" for i in shown]

    # The scores are the plain average of Alice's and Bob's predicted stars, nobody's under 3.
    model = service.model
    predicted = np.vstack(
        [
            model.predict(model.fold_in(list(rates), list(rates.values())), shown)
            for rates in (ALICE_RATES, BOB_RATES)
        ]
    )
    np.testing.assert_allclose([s for _, s in ballot.films], predicted.mean(0), rtol=1e-5)
    assert predicted.min() >= 3.0
    assert [s for _, s in ballot.films] == sorted((s for _, s in ballot.films), reverse=True)


@pytest.mark.parametrize("genre", ["", "drama", "comedy"])
async def test_the_picks_are_films_someone_here_would_choose(
    group: Group, service: MovieService, movielens: Dataset, genre: str
) -> None:
    # By stars alone a film two people had rated 5★ stood beside Schindler's List.
    night_id, _ = await start(group, genre)
    await everyone_in(group, night_id)
    await press(group, ALICE, cb.NightSuggest(night_id))
    ballot = await service.storage.ballot(night_id)
    assert ballot is not None and len(ballot.films) == 5
    raters = movielens.ratings["item_id"].value_counts()
    assert min(int(raters[item]) for item, _ in ballot.films) >= 20


async def test_the_filter_is_honoured(group: Group, service: MovieService) -> None:
    night_id, _ = await start(group, "comedy")
    await press(group, ALICE, cb.NightJoin(night_id))
    out = await press(group, ALICE, cb.NightSuggest(night_id))
    assert "Picks for tonight</b> — comedy" in out.send[0].text
    ballot = await service.storage.ballot(night_id)
    assert ballot is not None and len(ballot.films) == 5
    assert all("Comedy" in service.film(item).genres for item, _ in ballot.films)


async def test_too_few_films_for_a_poll_change_nothing(
    group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_module, "MIN_FILTERED_FILMS", 1)  # as if ratings had emptied it
    night_id, _ = await start(group, "1922")  # one film in ML-100k
    await press(group, ALICE, cb.NightJoin(night_id))
    out = await press(group, ALICE, cb.NightSuggest(night_id))
    assert out.vote is None and out.alert and "too few films left" in (out.notice or "")
    night = await group.service.storage.night(night_id)
    assert night is not None and night.status == "open"


async def test_only_people_who_are_in_suggest_and_someone_must_have_ratings(
    group: Group,
) -> None:
    night_id, _ = await start(group)
    out = await press(group, BOB, cb.NightSuggest(night_id))
    assert out.vote is None and "I'm in” first" in (out.notice or "")
    await press(group, CAROL, cb.NightJoin(night_id))
    out = await press(group, CAROL, cb.NightSuggest(night_id))
    assert out.vote is None and out.alert
    assert [b.url for row in out.send[0].buttons for b in row] == [LINK]
    assert len(CAROL_RATES) < PERSONAL_AFTER


async def test_close_vote_announces_the_most_voted_film(
    group: Group, service: MovieService
) -> None:
    night_id, _ = await start(group)
    await everyone_in(group, night_id)
    await suggest(group, night_id)
    again = await press(group, BOB, cb.NightSuggest(night_id))  # a late tap on Suggest
    assert again.stop is None and again.notice == "The picks are out: vote in the poll!"

    out = await press(group, BOB, cb.NightSuggest(night_id), POLL_MESSAGE)  # "Close vote"
    assert out.stop == StopRequest(night_id, POLL_MESSAGE)
    ballot = await service.storage.ballot(night_id)
    assert ballot is not None
    await votes(group, {ALICE: 1, BOB: 1, CAROL: 2})
    closed = await group.vote_closed(night_id)
    assert closed is not None and closed.chat_id == CLUB.chat_id
    winner = service.film(ballot.films[1][0])
    assert "Tonight's film: <b>" + winner.title in closed.send[0].text
    assert "2 of 3 votes" in closed.send[0].text and "tie" not in closed.send[0].text
    assert "tonight: <b>" + winner.title in edited_text(closed)
    assert await group.vote_closed(night_id) is None  # announced once
    for action in (cb.NightJoin(night_id), cb.NightSuggest(night_id)):
        for message in (NIGHT_MESSAGE, POLL_MESSAGE):
            assert (await press(group, ALICE, action, message)).notice == EXPIRED


async def test_a_tie_goes_to_the_groups_predicted_score(
    group: Group, service: MovieService
) -> None:
    night_id, _ = await start(group)
    await everyone_in(group, night_id)
    await suggest(group, night_id)
    ballot = await service.storage.ballot(night_id)
    assert ballot is not None
    await votes(group, {ALICE: 2, BOB: 4})
    closed = await group.vote_closed(night_id)
    assert closed is not None
    assert service.film(ballot.films[2][0]).title in closed.send[0].text  # scored higher
    assert "It was a tie" in closed.send[0].text


async def test_outsiders_cannot_close_and_nobody_voting_picks_the_top_film(
    group: Group, service: MovieService
) -> None:
    night_id, _ = await start(group)
    await press(group, ALICE, cb.NightJoin(night_id))
    await suggest(group, night_id)
    outsider = await press(group, BOB, cb.NightSuggest(night_id), POLL_MESSAGE)
    assert outsider.stop is None and "Only people who are in" in (outsider.notice or "")
    await votes(group, {BOB: 3})  # not in: the poll shows it, the count does not
    closed = await group.vote_closed(night_id)
    ballot = await service.storage.ballot(night_id)
    assert closed is not None and ballot is not None
    assert closed.send[0].text.startswith("Nobody voted")
    assert ballot.picked_item == ballot.films[0][0]


async def test_votes_stop_the_vote_once_everyone_in_has_voted_and_outsiders_never_count(
    group: Group, service: MovieService
) -> None:
    night_id, _ = await start(group)
    await everyone_in(group, night_id)
    await suggest(group, night_id)
    assert await group.poll_answer("poll-1", ALICE.user_id, [0]) is None
    assert await group.poll_answer("poll-1", BOB.user_id, [1]) is None
    outsiders = [await group.poll_answer("poll-1", 100 + n, [3]) for n in range(2)]
    assert outsiders == [None, None], "two outsiders must not stop the vote"
    assert await group.poll_answer("someone-elses", CAROL.user_id, [3]) is None
    assert await group.poll_changed("poll-1", closed=False) is None
    out = await group.poll_answer("poll-1", CAROL.user_id, [3])
    assert out is not None and out.stop == StopRequest(night_id, POLL_MESSAGE)
    closed = await group.poll_changed("poll-1", closed=True)
    assert closed is not None and "Tonight's film" in closed.send[0].text
    assert "1 of 3 votes" in closed.send[0].text  # the outsiders' film had 3 in the poll
    ballot = await service.storage.ballot(night_id)
    assert ballot is not None and ballot.picked_item == ballot.films[0][0]  # the tie's best
    assert await group.poll_changed("poll-1", closed=True) is None


# -- expiry and commands ------------------------------------------------------------------------


async def test_foreign_forged_and_stale_buttons_expire(group: Group) -> None:
    night_id, _ = await start(group)
    other_night, _ = await start(group, chat=OTHER)
    for data in (
        cb.build(cb.NightJoin(night_id)),  # this club's night, pressed in the other club
        cb.build(cb.NightVote(other_night, 50)),  # voting is a poll, not buttons
        cb.build(cb.Rate(50, 4.0)),
        "nj1:99999",
        "nj1:-1",
        "garbage",
    ):
        out = await group.button(ALICE, OTHER, NIGHT_MESSAGE, data)
        assert (out.notice, out.edits, out.send) == (EXPIRED, [], [])
    old_message = await press(group, ALICE, cb.NightJoin(night_id), message_id=NIGHT_MESSAGE - 5)
    assert old_message.notice == EXPIRED
    assert await group.service.storage.night_participants(night_id) == []


async def test_group_commands(group: Group) -> None:
    for name in ("help", "start"):
        out = await group.command(BOB, CLUB, name, addressed=False)
        assert "<b>Movie nights</b>" in out.send[0].text
        assert [b.url for row in out.send[0].buttons for b in row] == [LINK]
    private = await group.command(BOB, CLUB, "recommend", addressed=True)
    assert "/recommend works in a private chat" in private.send[0].text
    unknown = await group.command(BOB, CLUB, "launch", addressed=True)
    assert "I don't know /launch" in unknown.send[0].text
    bare = await group.command(BOB, CLUB, "launch", addressed=False)  # maybe another bot's
    assert bare == GroupOutcome(CLUB.chat_id)
