create table notes (id int primary key, body text, author text);
comment on table notes is E'it''s a "note"\nwith a backslash \\ and $$ dollars $$';
comment on column notes.body is 'O''Reilly''s body';
comment on column notes.author is '';
