create function rev_cmp(a int4, b int4) returns int4 language sql immutable as $$ select btint4cmp(b, a) $$;
create operator class int4_rev_ops for type int4 using btree as
  operator 1 >, operator 2 >=, operator 3 =, operator 4 <=, operator 5 <, function 1 rev_cmp(int4, int4), function 4 btequalimage(oid);
create table t (id int, n int);
create index t_n_rev on t (n int4_rev_ops);
create operator family int_fam using btree;
create operator class int8_rev_ops for type int8 using btree family int_fam as
  operator 1 >, operator 5 <, function 1 btint8cmp(int8, int8);
alter operator family int_fam using btree add operator 1 < (int4, int8), function 1 (int4, int8) btint48cmp(int4, int8);
comment on operator class int8_rev_ops using btree is 'reversed bigints';
