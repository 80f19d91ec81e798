create table notes (id int primary key, body text, author text);
comment on table notes is 'plain';
comment on column notes.body is 'the body';
