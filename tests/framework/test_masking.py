from framework.masking import MASK, mask_mapping, mask_text


def test_password_in_a_url_dsn_is_masked():
    text = "could not connect to postgresql://etl:s3cr3t@db:5432/wh"
    out = mask_text(text)
    assert "s3cr3t" not in out
    assert out == f"could not connect to postgresql://etl:{MASK}@db:5432/wh"


def test_password_in_a_keyword_dsn_is_masked():
    out = mask_text("host=db user=etl password=hunter2 dbname=wh")
    assert "hunter2" not in out and "password=***" in out and "user=etl" in out


def test_secret_keys_are_masked_but_ordinary_values_kept():
    data = {"ETL_PG_PASSWORD": "pw", "spark.sql.shuffle.partitions": "8",
            "nested": {"api_key": "k", "master": "local[2]"}}
    out = mask_mapping(data)
    assert out["ETL_PG_PASSWORD"] == MASK
    assert out["nested"]["api_key"] == MASK
    assert out["spark.sql.shuffle.partitions"] == "8"
    assert out["nested"]["master"] == "local[2]"


def test_text_without_secrets_is_unchanged():
    text = "spark://master:7077 and s3a://bucket/path"
    assert mask_text(text) == text


def test_literal_passwords_are_found_and_environment_references_are_not():
    from framework.masking import literal_passwords

    assert literal_passwords("postgresql://etl:s3cr3t@db/wh") == ["s3cr3t"]
    assert literal_passwords("host=db password='a b' user=x") == ["'a b'"]
    assert literal_passwords("postgresql://etl:${PG_PASSWORD}@db/wh") == []
    assert literal_passwords("password=${PW}") == []
    assert literal_passwords("spark://master:7077") == []


def test_an_empty_user_and_a_driver_quoted_password_are_masked():
    from framework.masking import literal_passwords, scrub

    assert mask_text("postgresql://:s3cret@db/wh") == f"postgresql://:{MASK}@db/wh"
    dsn = "postgresql://u:s3%zzcret@db/wh"
    assert scrub('invalid percent-encoded token: "s3%zzcret"', dsn) == \
        f'invalid percent-encoded token: "{MASK}"'
    assert literal_passwords("postgresql://u:${PW:-hunter2}@db/wh")  # a written-in default
    assert literal_passwords("select * from t where password = ''") == []  # SQL, not a DSN


def test_names_like_pg_pass_are_secret_keys_but_passes_is_not():
    from framework.masking import is_secret_key

    assert all(is_secret_key(k) for k in ("pg_pass", "pgpass", "PG_PASSWORD", "db_pwd", "dsn"))
    assert not any(is_secret_key(k) for k in ("passes", "sessions", "compression"))


def test_secret_variables_are_masked_whole_and_their_values_removed_elsewhere():
    from framework.masking import hide, mask_var, mask_vars, secret_values

    variables = {"db": "hunter22-x", "host": "db.example", "label": "pre-hunter22-x-post",
                 "nested": {"a": ["hunter22-x"]}, "n": 7, "short": "ab"}
    out = mask_vars(variables, {"db", "short"})
    assert out == {"db": MASK, "host": "db.example", "label": f"pre-{MASK}-post",
                   "nested": {"a": [MASK]}, "n": 7, "short": MASK}
    assert mask_var("db", "hunter22-x", {"db"}) == MASK
    assert mask_var("anything", "v", {"db"}) == "v"
    assert mask_var("pg_pass", "v", set()) == MASK  # named like a secret: as before
    assert secret_values(variables, {"db", "short", "n"}) == ["hunter22-x"]  # too short: kept
    assert hide("failed: hunter22-x at postgresql://u:pw@h/db", ["hunter22-x"]) == \
        f"failed: {MASK} at postgresql://u:{MASK}@h/db"


def test_a_secret_setting_is_masked_whole_even_when_it_holds_an_equals_sign():
    # base64 keys end in `=`; a value with no DSN password in it is the secret itself
    conf = {"spark.hadoop.fs.s3a.secret.key": "wJalrXUtnFEMI/K7MDENG=",
            "token": "dG9rZW4=", "dsn": "postgresql://u:pw@h/db", "note": "a=b"}
    masked = mask_mapping(conf)
    assert masked["spark.hadoop.fs.s3a.secret.key"] == MASK and masked["token"] == MASK
    assert masked["dsn"] == "postgresql://u:***@h/db" and masked["note"] == "a=b"


def test_secret_key_names_are_words_not_substrings():
    from framework.masking import is_secret_key

    for name in ("password", "PGPASSWORD", "pg_pass", "pgpass", "db_pwd", "passwd", "api_key",
                 "access_token", "secret_key", "PG_DSN", "spark.hadoop.fs.s3a.secret.key"):
        assert is_secret_key(name), name
    for name in ("bypass_cache", "compass_dir", "max_tokens", "passenger_count", "users"):
        assert not is_secret_key(name), name


def test_short_numbers_are_not_searched_for_in_text():
    from framework.masking import hide, secret_values

    values = secret_values({"port": 5432, "pw": "hunter22", "pin": 12345678}, {"port", "pw", "pin"})
    assert hide("154321 rows; hunter22; 12345678", values) == "154321 rows; ***; ***"
