create extension citext;
