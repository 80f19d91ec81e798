create table profiles (id int primary key, email text, salary bigint, notes text, "Display Name" text);
grant select (id, email, salary) on profiles to schemainspect_test_role;
grant update (notes) on profiles to schemainspect_test_role;
grant select ("Display Name"), references ("Display Name") on profiles to public;
