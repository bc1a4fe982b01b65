fn main() {
    println!("mail2pst {}", env!("CARGO_PKG_VERSION"));
}
