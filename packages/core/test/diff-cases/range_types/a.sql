create type floatrange as range (subtype = float8);
create type textrange as range (subtype = text, collation = "C");
create table spans (id int primary key, span floatrange default '[0,1)', many floatmultirange, history floatrange[]);
create function span_width(s floatrange) returns float8 language sql immutable as $$ select upper(s) - lower(s) $$;
create view span_widths as select id, span_width(span) as width from spans where span && floatrange(0, 10);
insert into spans values (1, '[1.5,2.5)', '{[1,2),[3,4)}', '{"[1,2)"}'), (2, null, null, null);
