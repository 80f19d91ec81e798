create extension citext;
comment on extension citext is 'case-insensitive text for emails';
