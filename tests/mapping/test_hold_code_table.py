"""The hold-code table: every validation rule, and what a clean table becomes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge.errors import Problem
from bridge.mapping.model import Action, ChannelSpec
from bridge.mapping.tables import read_hold_codes

Write = Callable[[str, str], Path]
HOLD_HEADER = "hold_code_id,action,target,precedence,channel_name,channel_color,fallback_status\n"


def problems_of(write: Write, rows: str, header: str = HOLD_HEADER) -> list[str]:
    problems: list[Problem] = []
    read_hold_codes(write("codes.csv", header + rows), problems)
    return [str(p) for p in problems]


def test_clean_table_becomes_rules_and_channels_in_file_order(write: Write) -> None:
    problems: list[Problem] = []
    table = read_hold_codes(
        write(
            "codes.csv",
            HOLD_HEADER
            + "5,not_for_sale,,1,,,\n"
            + "4,channel,access,2,Access,#2E86C1,\n"
            + "2,status,held-press,3,,,\n"
            + "6,channel,subs,4,Subscribers,#1E8449,held-sub\n"
            + "7,ignore,,5,,,\n",
        ),
        problems,
    )
    assert problems == []
    assert table.rules[5].action is Action.NOT_FOR_SALE and table.rules[5].target is None
    assert table.rules[2].target == "held-press"
    assert table.rules[6].fallback_status == "held-sub"
    assert table.rules[4].channel_name == "Access"
    assert table.channels == (
        ChannelSpec("access", "Access", "#2E86C1", 1),
        ChannelSpec("subs", "Subscribers", "#1E8449", 2),
    )


def test_two_codes_may_share_a_channel_and_later_rows_may_omit_its_name(write: Write) -> None:
    problems: list[Problem] = []
    table = read_hold_codes(
        write(
            "codes.csv", HOLD_HEADER + "1,channel,house,1,House,#B03A2E,\n7,channel,house,2,,,\n"
        ),
        problems,
    )
    assert problems == []
    assert len(table.channels) == 1
    assert table.rules[7].channel_name == "House"


def test_comment_and_blank_lines_are_skipped_but_counted_in_line_numbers(write: Write) -> None:
    text = "# hold codes\n\n" + HOLD_HEADER + "# a note\n\n1,chanel,house,1,House,#B03A2E,\n"
    assert problems_of(write, "", header=text) == [
        "codes.csv:6:2: unknown action 'chanel' (expected channel, status, not_for_sale, ignore)"
    ]


def test_unknown_action_is_a_problem(write: Write) -> None:
    assert problems_of(write, "1,hold,,1,,,\n") == [
        "codes.csv:2:2: unknown action 'hold' (expected channel, status, not_for_sale, ignore)"
    ]


def test_channel_action_without_target_is_a_problem(write: Write) -> None:
    assert problems_of(write, "1,channel,,1,House,#B03A2E,\n") == [
        "codes.csv:2:3: channel action with no target (expected a channel key in column target)"
    ]


def test_status_action_without_target_is_a_problem(write: Write) -> None:
    assert problems_of(write, "2,status,,1,,,\n") == [
        "codes.csv:2:3: status action with no target (expected a status name in column target)"
    ]


def test_target_on_a_not_for_sale_row_is_a_problem(write: Write) -> None:
    assert problems_of(write, "5,not_for_sale,kill,1,,,\n") == [
        "codes.csv:2:3: target given for a not_for_sale row 'kill' "
        "(only channel and status rows take a target; leave it empty)"
    ]


def test_channel_key_reused_with_another_name_is_a_problem(write: Write) -> None:
    rows = "1,channel,house,1,House seats,#B03A2E,\n7,channel,house,2,House,#B03A2E,\n"
    assert problems_of(write, rows) == [
        "codes.csv:3:5: channel 'house' reused with another name 'House' "
        "(first named 'House seats' at line 2)"
    ]


def test_channel_key_reused_with_another_colour_is_a_problem(write: Write) -> None:
    rows = "1,channel,house,1,House,#B03A2E,\n7,channel,house,2,House,#000000,\n"
    assert problems_of(write, rows) == [
        "codes.csv:3:6: channel 'house' reused with another colour '#000000' "
        "(first coloured '#B03A2E' at line 2)"
    ]


def test_first_row_of_a_channel_without_name_is_a_problem(write: Write) -> None:
    assert problems_of(write, "1,channel,house,1,,#B03A2E,\n") == [
        "codes.csv:2:5: channel 'house' first used with no channel_name "
        "(the first row of a channel names it and gives its colour)"
    ]


def test_malformed_colour_is_a_problem(write: Write) -> None:
    assert problems_of(write, "1,channel,house,1,House,red,\n") == [
        "codes.csv:2:6: malformed colour 'red' (expected #RRGGBB, e.g. #1F77B4)"
    ]


def test_precedence_tie_is_a_problem(write: Write) -> None:
    rows = "5,not_for_sale,,1,,,\n2,status,held-press,1,,,\n"
    assert problems_of(write, rows) == [
        "codes.csv:3:4: precedence tie '1' (hold code 5 at line 2 has it too; each must be unique)"
    ]


def test_status_named_like_a_builtin_is_a_problem(write: Write) -> None:
    assert problems_of(write, "2,status,Booked,1,,,\n") == [
        "codes.csv:2:3: status collides with a seats.io built-in 'Booked' "
        "(seats.io reserves booked, free, resale, reservedByToken; choose e.g. 'held-...')"
    ]


def test_fallback_status_named_like_a_builtin_is_a_problem(write: Write) -> None:
    assert problems_of(write, "6,channel,subs,1,Subs,#1E8449,free\n") == [
        "codes.csv:2:7: status collides with a seats.io built-in 'free' "
        "(seats.io reserves booked, free, resale, reservedByToken; choose e.g. 'held-...')"
    ]


def test_channel_columns_on_a_status_row_are_a_problem(write: Write) -> None:
    assert problems_of(write, "2,status,held-press,1,Press,,\n") == [
        "codes.csv:2:5: channel_name given for a status row 'Press' "
        "(only channel rows take it; leave it empty)"
    ]


def test_hold_code_mapped_twice_is_a_problem(write: Write) -> None:
    rows = "5,not_for_sale,,1,,,\n5,ignore,,2,,,\n"
    assert problems_of(write, rows) == [
        "codes.csv:3:1: hold code mapped twice '5' (first at line 2)"
    ]


def test_malformed_number_is_a_problem(write: Write) -> None:
    assert problems_of(write, "5x,not_for_sale,,1,,,\n") == [
        "codes.csv:2:1: malformed number in hold_code_id '5x' (expected digits)"
    ]


def test_unknown_column_is_a_problem(write: Write) -> None:
    header = "hold_code_id,action,target,precedence,colour\n"
    assert problems_of(write, "5,not_for_sale,,1,\n", header=header) == [
        "codes.csv:1:5: unknown column 'colour' (expected columns: hold_code_id, action, "
        "precedence, target, channel_name, channel_color, fallback_status)"
    ]


def test_missing_required_column_is_a_problem(write: Write) -> None:
    assert problems_of(write, "5,not_for_sale,\n", header="hold_code_id,action,target\n") == [
        "codes.csv:1: missing required column 'precedence' "
        "(the header must name: hold_code_id, action, precedence)"
    ]


def test_every_problem_of_a_file_is_reported_at_once(write: Write) -> None:
    rows = "1,hold,,1,,,\nx,ignore,,2,,,\n3,status,booked,1,,,\n"
    found = sorted(p.split(": ")[0] for p in problems_of(write, rows))
    assert found == ["codes.csv:2:2", "codes.csv:3:1", "codes.csv:4:3", "codes.csv:4:4"]


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    problems: list[Problem] = []
    read_hold_codes(tmp_path / "nope.csv", problems)
    assert len(problems) == 1
    assert "cannot read table" in str(problems[0])
