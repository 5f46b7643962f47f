"""Ordered, named schema steps. Each is applied once, in one transaction with its record.

Never edit or reorder a step that has shipped: add a new one at the end.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "0001_responses_answers_stories",
        [
            """
            CREATE TABLE responses (
                id INTEGER PRIMARY KEY,
                respondent TEXT NOT NULL,
                survey_id TEXT NOT NULL,
                survey_version TEXT NOT NULL,
                language TEXT,
                stage TEXT NOT NULL CHECK (stage IN ('language', 'consent', 'questions', 'done')),
                current_question TEXT,
                pending_codes TEXT NOT NULL DEFAULT '',
                consent_version TEXT,
                consented_at TEXT,
                started_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                completed_at TEXT,
                UNIQUE (respondent, survey_id)
            )
            """,
            """
            CREATE TABLE answers (
                response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
                question_id TEXT NOT NULL,
                option_codes TEXT NOT NULL DEFAULT '',
                skipped INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
                survey_version TEXT NOT NULL,
                answered_at TEXT NOT NULL,
                PRIMARY KEY (response_id, question_id)
            )
            """,
            """
            CREATE TABLE stories (
                response_id INTEGER PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
                text TEXT,
                voice_file_id TEXT,
                voice_duration INTEGER,
                language TEXT,
                created_at TEXT NOT NULL,
                CHECK (text IS NOT NULL OR voice_file_id IS NOT NULL)
            )
            """,
            "CREATE INDEX responses_stage ON responses (survey_id, stage)",
        ],
    ),
    (
        "0002_themes_audit_meta",
        [
            # Themes found in a story, filled when the story is stored; ``themes_version`` says
            # which keyword lists found them, so that changed lists can be applied again.
            """
            CREATE TABLE story_themes (
                response_id INTEGER NOT NULL REFERENCES stories (response_id) ON DELETE CASCADE,
                theme TEXT NOT NULL,
                PRIMARY KEY (theme, response_id)
            ) WITHOUT ROWID
            """,
            "ALTER TABLE stories ADD COLUMN themes_version TEXT",
            # Every admin action on the evidence: what, when and by whom (a pseudonym, or "cli").
            """
            CREATE TABLE admin_audit (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
            )
            """,
            # Facts about the database itself, e.g. that it holds synthetic demo data.
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            # Counting answers by question and option reads this index alone.
            "CREATE INDEX answers_by_question ON answers (question_id, option_codes, skipped, response_id)",
        ],
    ),
    (
        "0003_quote_reviews",
        [
            # A person's decision on quoting a story in the report: approved (with the text to
            # print, perhaps edited) or rejected; by whom (a pseudonym, or "cli") and when. Erased
            # with the response, like the story itself.
            """
            CREATE TABLE quote_reviews (
                response_id INTEGER PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
                status TEXT NOT NULL CHECK (status IN ('approved', 'rejected')),
                text TEXT,
                reviewed_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                CHECK ((status = 'approved') = (text IS NOT NULL))
            )
            """,
            # A decision was about the words reviewed: if the story is stored again with other
            # words, it waits for a new review.
            """
            CREATE TRIGGER quote_reviews_outdated AFTER UPDATE OF text ON stories
            WHEN OLD.text IS NOT NEW.text
            BEGIN
                DELETE FROM quote_reviews WHERE response_id = NEW.response_id;
            END
            """,
        ],
    ),
    (
        "0004_releases",
        [
            # Each protected release of the figures: ``public`` is release.json as published;
            # ``small`` the true counts of its small cells, kept here only so that the next
            # release is checked not to give them away; ``completed`` the completed responses it
            # counts, to know when enough came since for another.
            """
            CREATE TABLE releases (
                id INTEGER PRIMARY KEY,
                survey_id TEXT NOT NULL,
                made_at TEXT NOT NULL,
                completed INTEGER NOT NULL,
                public TEXT NOT NULL,
                small TEXT NOT NULL
            )
            """,
            "CREATE INDEX releases_by_survey ON releases (survey_id, id)",
        ],
    ),
    (
        "0005_release_per_version",
        [
            # A release counts the responses to one version of the survey: versions ask
            # different questions, and protecting them apart keeps each release's tables about
            # one set of respondents. Releases made before name their version in their file.
            "ALTER TABLE releases ADD COLUMN survey_version TEXT",
            "UPDATE releases SET survey_version = json_extract(public, '$.survey_version')",
            "CREATE INDEX releases_by_version ON releases (survey_id, survey_version, id)",
        ],
    ),
    (
        "0006_result_notices",
        [
            # Residents who asked for one message when the municipality has sent its answer.
            # The chat id is kept only here, and nothing joins it to a response: no pseudonym,
            # and the day of asking rather than the time, so that it cannot be matched to a
            # completion time either. Erased once the message is sent, on /delete, or at retention.
            """
            CREATE TABLE result_notices (
                chat_id INTEGER NOT NULL,
                survey_id TEXT NOT NULL,
                language TEXT NOT NULL,
                consent_version TEXT NOT NULL,
                requested_on TEXT NOT NULL,
                PRIMARY KEY (chat_id, survey_id)
            )
            """,
        ],
    ),
]
